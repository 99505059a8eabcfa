"""Carry out a study: train every run, evaluate it, choose on held-out data.

Every training and evaluation goes through ``tools/train.py`` and
``tools/test.py`` as a user would run them, on config files the study
writes into each run's work directory (``train_config.py`` and one
``eval_<split>.py`` per split), so any run can be repeated by hand. A run
whose ``train_done.json`` exists is not trained again; one that was
interrupted is continued with ``--resume``; either only if it was trained
with the config the study gives it now (kept in its ``train_request.json``).
An evaluation whose result file exists is not repeated unless the study's
metrics for that split changed.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Callable, Dict, List, Optional

from mmengine.config import Config

from mmpretrain.registry import DATASETS, METRICS

from ..visualization.training_curves import read_epoch_curves
from .spec import TRAINING, Run, StudySpec

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


#: MMEngine's ``Config.fromfile`` is not thread-safe (it parses through
#: temporary files and module-level state): the runs of ``--jobs`` read
#: configs one at a time, and only wait on their tools in parallel.
CONFIG_LOCK = threading.Lock()


def read_config(path: str) -> Config:
    """``Config.fromfile`` under :data:`CONFIG_LOCK`."""
    with CONFIG_LOCK:
        return Config.fromfile(path)


def trained_checkpoint(run_dir: str) -> str:
    """The checkpoint a trained run names in its ``train_done.json``.

    It is stored relative to the run, so a moved study still reads each
    run's own checkpoint, never one at the old place.

    Raises:
        FileNotFoundError: Naming the missing marker or checkpoint.
    """
    done = osp.join(run_dir, 'train_done.json')
    if not osp.isfile(done):
        raise FileNotFoundError(f'{done} is missing: the run is not trained')
    with open(done) as f:
        checkpoint = osp.join(run_dir, json.load(f)['checkpoint'])
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} is missing; delete '
                                f'{done} to train the run again')
    return checkpoint


def curve_path(run_dir: str, stem: str, prefix: Optional[str]) -> str:
    """The curve file in which a thresholded metric (``stem``, its class's
    ``curve_file``) with ``prefix`` keeps its threshold: one per map."""
    tag = (prefix or 'model').replace('/', '_')
    return osp.join(run_dir, f'{stem}_{tag}.json')


def baseline_prefix(method: str, metric: Dict) -> str:
    """The prefix under which the baseline ``method`` is scored by
    ``metric`` (a metric config) inside a twin's evaluation."""
    prefix = metric.get('prefix') or METRICS.get(metric['type']).default_prefix
    return f'baseline/{method}/{prefix}'


def _evaluator_file(metrics_file: str) -> str:
    """Where the evaluator that wrote ``metrics_file`` is kept."""
    return osp.splitext(metrics_file)[0] + '.evaluator.json'


def _signature(evaluator: List[Dict], run_dir: str) -> str:
    """The evaluator as canonical JSON, to tell whether it changed; paths
    inside ``run_dir`` relative to it, so a moved work dir keeps it."""
    return json.dumps(evaluator, sort_keys=True, default=str).replace(
        osp.abspath(run_dir), '{run_dir}')


def config_text(base: str, options: Dict[str, object], comment: str) -> str:
    """``base`` with ``options`` merged in, as the text of one complete
    config headed by ``comment``.

    ``options`` are ``--cfg-options`` style keys (``'a.b': 1``, list items
    as ``'param_scheduler.1.end': 3``), merged by
    :meth:`mmengine.Config.merge_from_dict` exactly as ``tools/train.py``
    merges them; the text is then self-contained and can be rerun by hand.
    """
    with CONFIG_LOCK:
        cfg = Config.fromfile(base)
        cfg.merge_from_dict(options)
        return f'# {comment}\n{cfg.pretty_text}\n'


#: The file in a run's directory that keeps what the study asked its
#: training for: the config and ``train_args`` (``tools/train.py``
#: replaces ``train_config.py`` with its own dump, runtime keys added).
REQUEST_FILE = 'train_request.json'
#: Keys ``tools/train.py`` sets or drops in the config it dumps, whatever
#: the study asked.
RUNTIME_KEYS = ('work_dir', 'resume', 'launcher', 'load_from',
                'auto_scale_lr')
#: Keys of a dataloader that ``tools/train.py`` adds where a config leaves
#: them out: they change how data is loaded, not what is trained on.
LOADER_DEFAULTS = ('pin_memory', 'persistent_workers', 'collate_fn')


def _as_trained(cfg: Config) -> Dict:
    """``cfg`` as a dict with the defaults MMEngine fills in written out,
    so that a config that names a default and one that leaves it out
    compare equal (a float32 study names ``OptimWrapper``, the schedules
    leave it out)."""
    trained = cfg.to_dict()
    trained.setdefault('optim_wrapper', {}).setdefault('type', 'OptimWrapper')
    return trained


def _unlike(wanted: Dict,
            trained: Dict,
            dumped: bool,
            prefix: str = '') -> List[str]:
    """Where two configs (as :func:`_as_trained` dicts) differ, one ``key:
    trained ..., the study now ...`` line each. Where ``trained`` is the
    config ``tools/train.py`` dumped (``dumped``), :data:`RUNTIME_KEYS` and
    the :data:`LOADER_DEFAULTS` it added do not count."""
    lines = []
    for key in list(wanted) + [k for k in trained if k not in wanted]:
        name = prefix + str(key)
        if dumped and not prefix and key in RUNTIME_KEYS:
            continue
        if dumped and (key not in wanted or key not in trained) and (
                prefix.endswith('dataloader.') and key in LOADER_DEFAULTS):
            continue
        old, new = trained.get(key, '(not set)'), wanted.get(key, '(not set)')
        if isinstance(old, dict) and isinstance(new, dict):
            lines += _unlike(new, old, dumped, f'{name}.')
        elif old != new:
            lines.append(f'{name}: trained {old!r}, the study now {new!r}')
    return lines


def write_config(path: str, base: str, options: Dict[str, object],
                 comment: str) -> str:
    """Write :func:`config_text` to ``path``; returns ``path``."""
    text = config_text(base, options, comment)
    with open(path, 'w') as f:
        f.write(text)
    return path


def remaining_seconds(per_run: float, elapsed: List[float], waiting: int,
                      jobs: int) -> float:
    """The wall time a study has left: the runs under way need what they
    lack of ``per_run`` (never less than nothing), the ``waiting`` ones
    ``per_run`` each, all shared among ``jobs`` at a time.

    Examples:
        >>> # 2 of 3 runs started with the first, 4 waiting, 3 at a time
        >>> remaining_seconds(600.0, [590.0, 580.0], 4, 3)
        810.0
    """
    under_way = sum(max(0.0, per_run - e) for e in elapsed)
    return (under_way + max(0, waiting) * per_run) / jobs


class StudyRunner:
    """Trains and evaluates the runs of a :class:`StudySpec`.

    Args:
        spec (StudySpec): The study.
        work_dir (str): Where every run gets its directory and the report
            is written.
        python (str): Interpreter for the tools. Defaults to this one.
        log (Callable): Progress printer. Defaults to ``print``.
        train_processes (int): Processes of one training (torchrun), for a
            job with several GPUs. Defaults to 1.
        jobs (int): Runs carried out at the same time on this machine, each
            in its own processes with ``threads`` CPU threads (a small
            model trains faster as 2 runs of 1 thread than as 1 run of 2).
            Defaults to 1.
        threads (int, optional): ``OMP_NUM_THREADS`` of each run's
            processes. Defaults to the CPU count divided by ``jobs`` when
            ``jobs > 1``, else what the environment says.
    """

    def __init__(self,
                 spec: StudySpec,
                 work_dir: str,
                 python: str = sys.executable,
                 log: Callable[[str], None] = print,
                 train_processes: int = 1,
                 jobs: int = 1,
                 threads: Optional[int] = None):
        for name, value in (('train_processes', train_processes),
                            ('jobs', jobs),
                            ('threads', 1 if threads is None else threads)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value}.')
        self.spec = spec
        self.work_dir = osp.abspath(work_dir)
        self.python = python
        self.log = log
        self.train_processes = train_processes
        self.jobs = jobs
        if threads is None and jobs > 1:
            threads = max(1, (os.cpu_count() or 1) // jobs)
        self.threads = threads
        self._dataset_sizes: Dict[str, int] = {}

    def run_dir(self, run: Run) -> str:
        return osp.join(self.work_dir, run.name)

    @staticmethod
    def is_trained(run_dir: str) -> bool:
        return osp.isfile(osp.join(run_dir, 'train_done.json'))

    @classmethod
    def has_trained(cls, run_dir: str) -> bool:
        """Whether ``run_dir`` holds a training, finished or to resume: a
        run stopped before its first checkpoint left nothing to reuse."""
        return cls.is_trained(run_dir) or osp.isfile(
            osp.join(run_dir, 'last_checkpoint'))

    def check_runs(self, runs: List[Run]) -> None:
        """:meth:`check_trained_with` for every run, before any work: a run
        trained with another config stops the study now, not an hour in,
        and is never reported as this config's."""
        for run in runs:
            if self.has_trained(self.run_dir(run)):
                self.check_trained_with(run)

    def metrics_file(self, run: Run, split: str) -> str:
        """Where ``run``'s metrics on ``split`` are kept."""
        return osp.join(self.run_dir(run), f'metrics_{split}.json')

    def is_finished(self, run: Run) -> bool:
        """Whether ``run`` is trained and evaluated on every split."""
        return self.is_trained(self.run_dir(run)) and all(
            osp.isfile(self.metrics_file(run, split))
            for split in self.spec.evaluated_splits)

    def _tool(self, *args: str, log_file: str) -> None:
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (ROOT, env.get('PYTHONPATH')) if p)
        if self.threads is not None:
            env['OMP_NUM_THREADS'] = env['MKL_NUM_THREADS'] = str(
                self.threads)
        with open(log_file, 'a') as f:
            proc = subprocess.run([self.python, *args],
                                  cwd=ROOT,
                                  env=env,
                                  stdout=f,
                                  stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            with open(log_file) as f:
                tail = f.read()[-3000:]
            raise RuntimeError(
                f'{" ".join(args[:2])} failed (exit {proc.returncode}); the '
                f'whole log is {log_file}. Its end:\n{tail}')

    @staticmethod
    def record_time(run_dir: str, stage: str, seconds: float) -> None:
        """Add a stage's wall time to the run's ``timing.json`` (stage ->
        seconds: ``train``, then one entry per split), so that where a
        study's time goes can be read afterwards. A resumed training
        records the time of its last part only."""
        path = osp.join(run_dir, 'timing.json')
        timing = json.load(open(path)) if osp.isfile(path) else {}
        timing[stage] = round(seconds, 1)
        with open(path, 'w') as f:
            json.dump(timing, f, indent=1)

    def train_config_text(self, run: Run) -> str:
        """The complete training config of ``run``, as it is written into
        its directory (``train_config.py``)."""
        return config_text(
            run.config, run.cfg_options,
            f'Study run {run.name}: {osp.relpath(run.config, ROOT)} with the '
            "study's options.")

    def check_trained_with(self, run: Run) -> Dict[str, object]:
        """Check that ``run``'s directory holds no training of another config.

        A run found in the work dir is reused or resumed; had its config
        changed since (another config file, other study options or
        ``train_args``), its numbers would be reported as the new config's.
        The request a run was trained on is kept in its
        :data:`REQUEST_FILE`; a run trained before that file was kept is
        judged by the config ``tools/train.py`` dumped beside it.

        Returns:
            dict: The run's request: ``config`` (its
            :meth:`train_config_text`) and ``train_args``.

        Raises:
            ValueError: Naming the run's directory, the values that
                differ, and how to train it again.
        """
        run_dir = self.run_dir(run)
        request = dict(
            config=self.train_config_text(run),
            train_args=list(self.spec.train_args))
        if not self.has_trained(run_dir):
            return request
        record = osp.join(run_dir, REQUEST_FILE)
        dump = osp.join(run_dir, 'train_config.py')

        def parsed(text: str) -> Dict:
            with CONFIG_LOCK:
                return _as_trained(Config.fromstring(text, '.py'))

        if osp.isfile(record):
            with open(record) as f:
                trained = json.load(f)
            if trained == request:
                return request
            # Compared as configs, not as text: a reformatting is no change.
            lines = _unlike(
                parsed(request['config']),
                parsed(trained['config']),
                dumped=False)
            if trained.get('train_args') != request['train_args']:
                lines.append(f"train_args: trained {trained.get('train_args')}"
                             f", the study now {request['train_args']}")
        elif osp.isfile(dump):
            lines = _unlike(
                parsed(request['config']),
                _as_trained(read_config(dump)),
                dumped=True)
        else:
            return request
        if not lines:
            return request
        shown = '\n'.join(lines[:12] + (['...'] if len(lines) > 12 else []))
        raise ValueError(
            f'{run_dir} was trained with another config than the study now '
            f'gives run {run.name}:\n{shown}\nIts results would be reported '
            "as the new config's. Move or delete that directory to train the "
            'run again, or pass another --work-dir.')

    def train(self, run: Run) -> str:
        """Train ``run`` unless it is done; returns its last checkpoint."""
        run_dir = self.run_dir(run)
        os.makedirs(run_dir, exist_ok=True)
        request = self.check_trained_with(run)
        if self.is_trained(run_dir):
            return trained_checkpoint(run_dir)
        with open(osp.join(run_dir, REQUEST_FILE), 'w') as f:
            json.dump(request, f, indent=1)
        cfg = osp.join(run_dir, 'train_config.py')
        with open(cfg, 'w') as f:
            f.write(request['config'])
        # Several processes (one per GPU of a cluster job) through torchrun,
        # as tools/dist_train.sh starts them.
        launch = [] if self.train_processes == 1 else [
            '-m', 'torch.distributed.run',
            f'--nproc_per_node={self.train_processes}',
            f'--master_port={29500 + os.getpid() % 1000}'
        ]
        start = time.time()
        self._tool(
            *launch,
            'tools/train.py',
            cfg,
            '--work-dir',
            run_dir,
            '--resume',
            *self.spec.train_args,
            *(['--launcher', 'pytorch'] if launch else []),
            log_file=osp.join(run_dir, 'train.log'))
        with open(osp.join(run_dir, 'last_checkpoint')) as f:
            checkpoint = osp.join(run_dir, osp.basename(f.read().strip()))
        self.record_time(run_dir, 'train', time.time() - start)
        with open(osp.join(run_dir, 'train_done.json'), 'w') as f:
            json.dump(dict(checkpoint=osp.basename(checkpoint)), f)
        return checkpoint

    def metrics_for(self, run: Run) -> List[dict]:
        """The test evaluator of ``run``: its model's metrics (a peer's are
        ``peer_metrics``) and, for a twin, the baselines'
        (``baseline_metrics`` with each baseline's CAM method, keys prefixed
        ``baseline/<method>/``)."""
        if run.model == 'topgap':
            return [dict(m) for m in self.spec.topgap_metrics]
        if run.model != 'twin':
            return [dict(m) for m in self.spec.peer_metrics]
        metrics = [dict(m) for m in self.spec.twin_metrics]
        for method in self.spec.baselines:
            for m in self.spec.baseline_metrics:
                metrics.append(
                    dict(m, method=method, prefix=baseline_prefix(method, m)))
        return metrics

    def evaluate(self, run: Run, checkpoint: str) -> Dict[str, Dict]:
        """Metrics of ``run`` on the selection split and every test split.

        The selection split is the run's ``val_dataloader`` (the held-out
        data its training validates on; ``tools/test.py --on-val``); a test
        split is the test loader with ``split_key`` set to its name. On the
        selection split only the metrics whose type is in the study's
        ``selection_metrics`` run (by default accuracy, CAMIoU and
        CAMBoxAccuracy). Every threshold of a metric that binarises maps
        (one with a ``curve_file``: CAMIoU, CAMBoxAccuracy) is chosen on the
        selection split (its curve is saved there) and applied unchanged to
        the test splits.

        Returns:
            dict: split -> metric name -> value.
        """
        run_dir = self.run_dir(run)
        train_config = osp.join(run_dir, 'train_config.py')
        results = {}
        for split in self.spec.evaluated_splits:
            out = self.metrics_file(run, split)
            on_val = split == self.spec.selection_split
            evaluator = []
            for m in self.metrics_for(run):
                if on_val and m['type'] not in self.spec.selection_metrics:
                    continue
                stem = getattr(METRICS.get(m['type']), 'curve_file', None)
                if stem is not None:
                    # A metric that binarises maps at a threshold chosen on
                    # the selection split.
                    m['save_curve' if on_val else 'threshold_from'] = \
                        curve_path(run_dir, stem, m.get('prefix'))
                evaluator.append(m)
            if not self._evaluated_with(out, evaluator):
                options = {} if on_val else dict(self.spec.test_options[split])
                options['test_evaluator'] = evaluator
                cfg = write_config(
                    osp.join(run_dir, f'eval_{split}.py'), train_config,
                    options, f'Evaluation of study run {run.name} on {split}' +
                    (': its val_dataloader, with tools/test.py --on-val.'
                     if on_val else '.'))
                start = time.time()
                self._tool(
                    'tools/test.py',
                    cfg,
                    checkpoint,
                    '--work-dir',
                    osp.join(run_dir, 'eval'),
                    '--out',
                    out,
                    '--out-item',
                    'metrics',
                    # Metrics of an evaluator the study no longer has.
                    *(['--overwrite'] if osp.isfile(out) else []),
                    *(['--on-val'] if on_val else []),
                    *self.spec.test_args,
                    log_file=osp.join(run_dir, 'eval.log'))
                self.record_time(run_dir, split, time.time() - start)
                with open(_evaluator_file(out), 'w') as f:
                    f.write(_signature(evaluator, run_dir))
            with open(out) as f:
                results[split] = json.load(f)
        return results

    @staticmethod
    def _evaluated_with(out: str, evaluator: List[Dict]) -> bool:
        """Whether the metrics in ``out`` exist and came from ``evaluator``.

        A study whose metric lists changed since a split was evaluated (a
        study continuing another's runs with more metrics) evaluates it
        again rather than report some metrics of the runs and not others.
        Metrics written before the evaluator was kept beside them are
        taken as they are.
        """
        if not osp.isfile(out):
            return False
        kept = _evaluator_file(out)
        if not osp.isfile(kept):
            return True
        with open(kept) as f:
            return f.read() == _signature(evaluator, osp.dirname(out))

    def dataset_size(self, dataset_cfg: Dict) -> int:
        """The length of the dataset ``dataset_cfg`` builds, built once per
        distinct config: the runs of a study share their val split, and
        building it (a synthetic one draws its images) is not free."""
        key = json.dumps(dataset_cfg, sort_keys=True, default=str)
        with CONFIG_LOCK:
            if key not in self._dataset_sizes:
                self._dataset_sizes[key] = len(DATASETS.build(dataset_cfg))
            return self._dataset_sizes[key]

    def training_record(self, run: Run) -> Dict:
        """What ``run``'s training logged per epoch, for the convergence
        verdict and the curves of the report.

        Returns:
            dict: ``num_classes`` of the run's head, ``val_samples`` (the
            size of its validation set, for the noise of its curve),
            ``curves`` (every validation metric and loss term, name ->
            epoch -> value) and ``seconds`` (its ``timing.json``: stage ->
            wall time).
        """
        run_dir = self.run_dir(run)
        cfg = read_config(osp.join(run_dir, 'train_config.py'))
        val_samples = self.dataset_size(cfg.val_dataloader.dataset)
        curves = {
            key: {str(epoch): value
                  for epoch, value in values.items()}
            for key, values in read_epoch_curves(run_dir).items()
            if key.startswith('loss') or '/' in key
        }
        timing = osp.join(run_dir, 'timing.json')
        return dict(
            num_classes=cfg.model.head.num_classes,
            val_samples=val_samples,
            curves=curves,
            seconds=json.load(open(timing)) if osp.isfile(timing) else {})

    def execute(self, runs: Optional[List[Run]] = None) -> Dict[str, Dict]:
        """Train and evaluate every run, ``jobs`` at a time, with progress
        and an ETA.

        Returns:
            dict: run name -> split -> metrics, and under
            :data:`TRAINING` the run's :meth:`training_record`; also
            written to ``results.json``.
        """
        runs = self.spec.runs() if runs is None else runs
        self.check_runs(runs)
        os.makedirs(self.work_dir, exist_ok=True)
        todo = [r for r in runs if not self.is_trained(self.run_dir(r))]
        self.log(f'[study] {len(runs)} runs, {len(runs) - len(todo)} already '
                 f'trained; work dir {self.work_dir}' +
                 (f'; {self.jobs} at a time, {self.threads} thread(s) each'
                  if self.jobs > 1 else ''))
        lock = threading.Lock()
        durations, running = [], {}

        def one(i: int, run: Run) -> Dict:
            fresh = not self.is_trained(self.run_dir(run))
            self.log(f'[study] run {i}/{len(runs)}: {run.name}' +
                     (' (training)' if fresh else ' (trained; evaluating)'))
            start = running[run.name] = time.time()
            try:
                result = self.evaluate(run, self.train(run))
                result[TRAINING] = self.training_record(run)
            finally:
                del running[run.name]
            if fresh:
                with lock:
                    durations.append(time.time() - start)
                    left = sum(1 for r in runs if not self.is_finished(r))
                    eta = remaining_seconds(
                        sum(durations) / len(durations),
                        [time.time() - t for t in running.values()],
                        left - len(running), self.jobs)
                    self.log(f'[study] {run.name} done in '
                             f'{durations[-1]:.0f} s; {left} runs to go, '
                             f'ETA {eta / 60:.1f} min')
            return result

        with ThreadPoolExecutor(self.jobs) as pool:
            futures = [
                pool.submit(one, i, run) for i, run in enumerate(runs, 1)
            ]
            # A failed run stops the study at once: the runs not started are
            # cancelled, those running finish, and the first error is raised.
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                future.cancel()
            results = {
                run.name: future.result()
                for run, future in zip(runs, futures)
            }
        with open(osp.join(self.work_dir, 'results.json'), 'w') as f:
            json.dump(results, f, indent=1)
        return results
