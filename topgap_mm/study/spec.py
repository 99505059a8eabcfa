"""A study config, checked, and the runs it plans.

A study is an MMEngine config with one dict ``study``; everything else in
the file is ignored, so a study inherits and overrides like any config::

    study = dict(
        seeds=[0, 1, 2],
        pairs=[dict(name='resnet18',
                    topgap='configs/topgap/resnet18_fashionbg_k16.py',
                    twin='configs/standard/resnet18_fashionbg.py',
                    # optional: other designs, each with its own recipe
                    peers=dict(bcos='configs/bcos/...'),
                    # optional: overrides of this pair's Top-GAP model
                    topgap_options={'model.head.k': 64})],
        regimes=dict(localisation=dict(cfg_options={...}),
                     shortcut=dict()),
        k_grid=[8, 16, 32],            # optional: k chosen on held out data
        selection_split='val',
        test_splits=['test_id', 'test_ood'],
        topgap_metrics=[...], twin_metrics=[...],
        baselines=['center_gaussian', 'uniform'])

Every key with its default and meaning: ``docs/en/user_guides/studies.md``,
"The ``study`` dict" (checked against :data:`DEFAULTS` by the tests).
"""
import copy
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from mmengine.config import Config

from ..cam import CAM_METHODS
from ..evaluation import metrics as topgap_metrics
from .convergence import check_convergence_cfg

#: Key of a run's results that holds its training record, beside the splits.
TRAINING = 'training'

#: Keys of a model config that a Top-GAP config and its twin must share:
#: the comparison is only about the model.
SHARED_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader',
               'train_cfg', 'param_scheduler', 'optim_wrapper',
               'data_preprocessor', 'randomness')
#: Keys a peer (another design, with its own optimiser and preprocessing)
#: must share with the pair's Top-GAP config: the same data, split for
#: split, for the same number of epochs.
PEER_SHARED_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader',
                    'train_cfg')
#: What a pair's ``topgap_options`` may override: the model and the
#: per-parameter multipliers of the optimiser, which a twin may not share
#: (:data:`EXEMPT`); anything else would compare more than the model.
TOPGAP_OPTION_PREFIXES = ('model.', 'optim_wrapper.paramwise_cfg')
#: Model names a peer cannot take.
RESERVED_MODELS = ('topgap', 'twin')
#: Fields that may differ within a pair: dataloader settings that change
#: only the speed, and per-parameter multipliers of the optimiser, which
#: name parts of one model (the Top-GAP head's learning rate, say).
EXEMPT = ('persistent_workers', 'num_workers', 'pin_memory',
          'paramwise_cfg')

DEFAULTS = dict(
    seeds=[0, 1, 2],
    regimes=None,
    k_grid=None,
    select_k_by='accuracy/top1',
    selection_split='val',
    test_splits=['test'],
    split_key='dataset.split',
    topgap_metrics=[dict(type='Accuracy', topk=(1, ))],
    twin_metrics=[dict(type='Accuracy', topk=(1, ))],
    # The test evaluator of every peer (None: the twin's metrics, each
    # scoring the peer's own explanation through method='auto').
    peer_metrics=None,
    baselines=[],
    baseline_metrics=None,
    # Metric types run on the selection split: what `select_k_by` and the
    # CAM-IoU and box thresholds need; the costly ones (ERF, attacks,
    # deletion / insertion) run on the test splits only.
    selection_metrics=['Accuracy', 'CAMIoU', 'CAMBoxAccuracy'],
    cfg_options={},
    train_args=[],
    test_args=[],
    confidence=0.95,
    # The criterion each run's validation curve is judged by; see
    # topgap_mm.study.convergence (None: its defaults).
    convergence=None,
    paper={},
)


def check_twin(topgap: str,
               twin: str,
               name: str = '',
               read: Callable[[str], Config] = Config.fromfile) -> None:
    """Check that a twin differs from its Top-GAP config in the model only.

    Args:
        topgap (str): The Top-GAP config's path.
        twin (str): The standard twin's path.
        name (str): The pair's name, for the message.
        read (Callable): Reads a config file. Defaults to
            ``Config.fromfile``.

    Raises:
        ValueError: Naming the first of :data:`SHARED_KEYS` that differs
            (fields in :data:`EXEMPT` aside), with both values.
    """
    _check_shared(topgap, twin, SHARED_KEYS, f'Pair {name!r}', 'its twin',
                  'a twin must share data, schedule and preprocessing and '
                  'differ in the model only.', read)


def check_peer(topgap: str,
               peer: str,
               name: str = '',
               read: Callable[[str], Config] = Config.fromfile) -> None:
    """Check that a peer trains on its Top-GAP config's data for as long.

    A peer is another design (a B-cos network, say) compared on the same
    data; unlike a twin it brings its own optimiser, schedule shape and
    preprocessing, as its authors train it.

    Args:
        topgap (str): The Top-GAP config's path.
        peer (str): The peer's config path.
        name (str): The pair and peer, for the message.
        read (Callable): Reads a config file. Defaults to
            ``Config.fromfile``.

    Raises:
        ValueError: Naming the first of :data:`PEER_SHARED_KEYS` that
            differs (fields in :data:`EXEMPT` aside), with both values.
    """
    _check_shared(topgap, peer, PEER_SHARED_KEYS, f'Peer {name!r}',
                  'the peer', 'a peer must train and be tested on the same '
                  'data, split for split, for the same number of epochs.',
                  read)


def _check_shared(topgap: str, other: str, keys: Tuple[str, ...], who: str,
                  role: str, rule: str, read: Callable[[str],
                                                       Config]) -> None:
    a, b = read(topgap), read(other)
    for key in keys:
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            va = {k: v for k, v in va.items() if k not in EXEMPT}
            vb = {k: v for k, v in vb.items() if k not in EXEMPT}
        if va != vb:
            raise ValueError(
                f'{who}: `{key}` differs between the Top-GAP config '
                f'{topgap} and {role} {other}; {rule}'
                f'\n  topgap: {va}\n  {role.split()[-1]}:   {vb}')


@dataclass
class Run:
    """One training of one model under one regime and seed.

    Attributes:
        regime (str): Regime name.
        pair (str): Pair name.
        model (str): ``'topgap'``, ``'twin'`` or the name of a peer.
        seed (int): ``randomness.seed``.
        config (str): The model config's path.
        k (int | float | None): ``model.head.k`` of this run, for a k grid.
        cfg_options (dict): Overrides of the regime, the study and the run.
        shared_with (tuple[str]): Further pairs whose twin this run is: pairs
            with the same twin config train it once per regime and seed.
    """
    regime: str
    pair: str
    model: str
    seed: int
    config: str
    k: Optional[float] = None
    cfg_options: Dict = field(default_factory=dict)
    shared_with: Tuple[str, ...] = ()

    def serves(self, pair: str) -> bool:
        """Whether this run belongs to ``pair`` (its own or a shared twin)."""
        return pair == self.pair or pair in self.shared_with

    @property
    def name(self) -> str:
        """Relative work directory of the run inside the study's."""
        model = self.model if self.k is None else f'{self.model}_k{self.k:g}'
        return osp.join(self.regime, self.pair, model, f'seed{self.seed}')


class StudySpec:
    """A checked study.

    Args:
        study (dict): The ``study`` dict of a study config.
        root (str): Directory that relative model config paths start from.
            Defaults to the current directory.

    Raises:
        KeyError: For unknown keys, naming them and the known ones.
        ValueError: For a bad value, naming the key and what is allowed.
    """

    def __init__(self, study: dict, root: str = '.'):
        study = dict(study)
        unknown = sorted(set(study) - set(DEFAULTS) - {'pairs'})
        if unknown:
            raise KeyError(f'Unknown key(s) {unknown} in `study`; the known '
                           f'keys are {sorted(set(DEFAULTS) | {"pairs"})}.')
        if 'pairs' not in study or not study['pairs']:
            raise ValueError('`study.pairs` must list at least one dict('
                             'name=..., topgap=CONFIG, twin=CONFIG).')
        cfg = copy.deepcopy(DEFAULTS)
        cfg.update(copy.deepcopy(study))
        #: The study dict as given, for a cluster job to check it again.
        self.raw = copy.deepcopy(study)
        self.root = root
        # Each config file is read once, by every check that needs it.
        self._configs: Dict[str, Config] = {}
        self.seeds = self._check_seeds(cfg['seeds'])
        self.regimes = self._check_regimes(cfg['regimes'])
        self.k_grid = self._check_k_grid(cfg['k_grid'])
        self.pairs = self._check_pairs(cfg['pairs'])
        self.select_k_by = cfg['select_k_by']
        self.split_key = cfg['split_key']
        self.test_options = self._check_test_splits(cfg['test_splits'])
        self.test_splits = list(self.test_options)
        self.selection_split = cfg['selection_split']
        if self.selection_split == TRAINING:
            raise ValueError(
                f'`study.selection_split`: {TRAINING!r} names the runs\' '
                'training records in results.json; rename the split.')
        if self.selection_split in self.test_splits:
            raise ValueError(
                f'`study.selection_split`={self.selection_split!r} is also '
                f'in `study.test_splits`={self.test_splits}: k and the CAM '
                'threshold would be chosen on the data they are reported '
                'on. Use a held-out split (e.g. "val").')
        self.topgap_metrics = self._check_metrics(cfg['topgap_metrics'],
                                                  'topgap_metrics')
        self.twin_metrics = self._check_metrics(cfg['twin_metrics'],
                                                'twin_metrics')
        self.peer_metrics = self._check_metrics(
            cfg['peer_metrics'] or self.twin_metrics, 'peer_metrics')
        self.baselines = self._check_baselines(cfg['baselines'])
        self.baseline_metrics = self._check_metrics(
            cfg['baseline_metrics'] or [
                m for m in self.twin_metrics if m['type'] == 'CAMIoU'
            ], 'baseline_metrics')
        if self.baselines and not any(m['type'] == 'CAMIoU'
                                      for m in self.baseline_metrics):
            raise ValueError(
                '`study.baselines` are CAM methods scored by CAMIoU: add a '
                "dict(type='CAMIoU', ...) to `study.twin_metrics` or set "
                '`study.baseline_metrics`.')
        self.selection_metrics = [
            m['type'] for m in self._check_metrics([
                dict(type=t) for t in cfg['selection_metrics']
            ], 'selection_metrics')
        ]
        self._check_selection_needed()
        if self.selection_split is not None:
            for pair in self.pairs:
                self._check_val_is_held_out(pair)
        self.cfg_options = dict(cfg['cfg_options'])
        self.train_args = list(cfg['train_args'])
        self.test_args = list(cfg['test_args'])
        self.confidence = float(cfg['confidence'])
        self.convergence = check_convergence_cfg(cfg['convergence'])
        self.paper = dict(cfg['paper'])

    @classmethod
    def fromfile(cls,
                 path: str,
                 root: str = '.',
                 cfg_options: Optional[dict] = None) -> 'StudySpec':
        """Read the ``study`` dict of a study config file.

        Args:
            path (str): The study config.
            root (str): What the pairs' config paths are relative to.
            cfg_options (dict, optional): Overrides merged into the file,
                as ``tools/study.py --cfg-options`` gives them.
        """
        if not osp.isfile(path):
            raise FileNotFoundError(f'Study config {path!r} does not exist.')
        cfg = Config.fromfile(path)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        if 'study' not in cfg:
            raise KeyError(f'{path} has no `study` dict; see '
                           'configs/studies/embedded.py for the format.')
        return cls(cfg.to_dict()['study'], root)

    def _config(self, path: str) -> Config:
        if path not in self._configs:
            self._configs[path] = Config.fromfile(path)
        return self._configs[path]

    def _check_test_splits(self, splits) -> Dict[str, Dict]:
        """``test_splits`` as name -> options of the evaluation config.

        A name ``s`` means ``{'test_dataloader.<split_key>': s}``; a
        ``dict(name=..., cfg_options={...})`` gives the options itself (to
        test on another dataset, say).
        """
        if not isinstance(splits, (list, tuple)) or not splits:
            raise ValueError('`study.test_splits` must name at least one '
                             'split to report.')
        checked = {}
        for i, split in enumerate(splits):
            if isinstance(split, str):
                name, options = split, {
                    f'test_dataloader.{self.split_key}': split
                }
            elif isinstance(split, dict) and set(split) == {
                    'name', 'cfg_options'
            }:
                name, options = split['name'], dict(split['cfg_options'])
            else:
                raise ValueError(
                    f'`study.test_splits[{i}]` must be a split name or '
                    f'dict(name=..., cfg_options={{...}}), got {split!r}.')
            if name in checked:
                raise ValueError(f'`study.test_splits`: {name!r} twice.')
            if name == TRAINING:
                raise ValueError(
                    f'`study.test_splits[{i}]`: {TRAINING!r} names the '
                    "runs' training records in results.json; rename the "
                    'split.')
            checked[name] = options
        return checked

    def _check_selection_needed(self) -> None:
        """A study without a selection split must have nothing to choose."""
        if self.selection_split is not None:
            return
        from mmpretrain.registry import METRICS
        thresholded = [
            m['type'] for m in self.topgap_metrics + self.twin_metrics
            if getattr(METRICS.get(m['type']), 'curve_file', None)
        ]
        if self.k_grid or self.baselines or thresholded:
            raise ValueError(
                '`study.selection_split` is None, but the study chooses k '
                '(`k_grid`) or a map threshold (`baselines`, '
                f'{sorted(set(thresholded)) or "CAMIoU"}): name a held-out '
                'split (the configs\' `val_dataloader`).')

    def _check_val_is_held_out(self, pair: dict) -> None:
        """The selection split (each config's ``val_dataloader``) must not be
        one of the test splits: MMPretrain's configs often validate on the
        test set."""
        for path in (pair['topgap'], pair['twin'], *pair['peers'].values()):
            cfg = self._config(path)
            val = cfg.get('val_dataloader', {}).get('dataset')
            if val is None:
                raise ValueError(
                    f'Pair {pair["name"]!r}: {path} has no '
                    '`val_dataloader`, which is the selection split.')
            for name, options in self.test_options.items():
                test = copy.deepcopy(cfg)
                test.merge_from_dict(options)
                if test.test_dataloader.get('dataset') == val:
                    raise ValueError(
                        f'Pair {pair["name"]!r}: the `val_dataloader` of '
                        f'{path} is the test split {name!r}, so the '
                        'choices made on it would be reported on the data '
                        'they were made on. Give the config a held-out '
                        "`val_dataloader` (e.g. split='val' of CUBWithMasks)"
                        ', or set `study.selection_split=None` for a study '
                        'that chooses nothing.')

    @staticmethod
    def _check_seeds(seeds) -> List[int]:
        if (not isinstance(seeds, (list, tuple)) or not seeds
                or not all(isinstance(s, int) for s in seeds)
                or len(set(seeds)) != len(seeds)):
            raise ValueError('`study.seeds` must be a non-empty list of '
                             f'distinct ints, got {seeds!r}.')
        return list(seeds)

    @staticmethod
    def _check_regimes(regimes) -> Dict[str, dict]:
        if regimes is None:
            return {'default': {}}
        if not isinstance(regimes, dict) or not regimes:
            raise ValueError('`study.regimes` must map names to dict('
                             f'cfg_options=...), got {regimes!r}.')
        checked = {}
        for name, regime in regimes.items():
            extra = set(regime) - {'cfg_options', 'description'}
            if extra:
                raise KeyError(f'Unknown key(s) {sorted(extra)} in '
                               f'`study.regimes.{name}`; allowed: '
                               "'cfg_options', 'description'.")
            checked[name] = dict(regime.get('cfg_options', {}))
        return checked

    def _check_pairs(self, pairs) -> List[dict]:
        names = set()
        checked = []
        for i, pair in enumerate(pairs):
            missing = {'name', 'topgap', 'twin'} - set(pair)
            if missing:
                raise ValueError(f'`study.pairs[{i}]` lacks {sorted(missing)}'
                                 '; each pair is dict(name=..., topgap='
                                 'CONFIG, twin=CONFIG).')
            extra = set(pair) - {
                'name', 'topgap', 'twin', 'peers', 'topgap_options'
            }
            if extra:
                raise KeyError(f'Unknown key(s) {sorted(extra)} in '
                               f'`study.pairs[{i}]`; allowed: name, topgap, '
                               'twin, peers, topgap_options.')
            if pair['name'] in names:
                raise ValueError(f'Two pairs are named {pair["name"]!r}.')
            names.add(pair['name'])
            peers = pair.get('peers') or {}
            if not isinstance(peers, dict) or any(
                    not isinstance(p, str) or not p.isidentifier()
                    or p in RESERVED_MODELS for p in peers):
                raise ValueError(
                    f'`study.pairs[{i}].peers` must map model names (not '
                    f'{" or ".join(RESERVED_MODELS)}) to configs, e.g. '
                    f"dict(bcos='configs/bcos/bcos_resnet18_fashionbg.py'); "
                    f'got {peers!r}.')
            keys = {'topgap': pair['topgap'], 'twin': pair['twin']}
            keys.update({f'peers.{p}': path for p, path in peers.items()})
            paths = {}
            for key, path in keys.items():
                full = path if osp.isabs(path) else osp.join(self.root, path)
                if not osp.isfile(full):
                    raise FileNotFoundError(
                        f'`study.pairs[{i}].{key}`: config {path!r} does '
                        'not exist.')
                paths[key] = full
            check_twin(paths['topgap'], paths['twin'], pair['name'],
                       self._config)
            for p in peers:
                check_peer(paths['topgap'], paths[f'peers.{p}'],
                           f'{pair["name"]}.{p}', self._config)
            checked.append(
                dict(name=pair['name'], topgap=paths['topgap'],
                     twin=paths['twin'],
                     peers={p: paths[f'peers.{p}'] for p in peers},
                     topgap_options=self._check_topgap_options(
                         pair.get('topgap_options') or {}, i)))
        return checked

    def _check_topgap_options(self, options, index: int) -> Dict:
        """A pair's overrides of its Top-GAP model, as dotted keys."""
        where = f'`study.pairs[{index}].topgap_options`'
        if not isinstance(options, dict):
            raise ValueError(f'{where} must be a dict of dotted config keys, '
                             f"e.g. {{'model.head.k': 64}}; got {options!r}.")
        wrong = sorted(k for k in options
                       if not str(k).startswith(TOPGAP_OPTION_PREFIXES))
        if wrong:
            raise ValueError(
                f'{where}: {wrong} would change more than the model, and the '
                f'twin would not share it; only keys starting with '
                f'{" or ".join(TOPGAP_OPTION_PREFIXES)} may differ within a '
                'pair (set data, schedule or precision for the regime or '
                'the study).')
        pooling = sorted({'model.head.k', 'model.head.pool'} & set(options))
        if self.k_grid and pooling:
            raise ValueError(f'{where} sets {pooling} and the study a '
                             '`k_grid` (which sets `model.head.k` of every '
                             'Top-GAP run): give the pooling one way.')
        return dict(options)

    @staticmethod
    def _check_k_grid(grid) -> Optional[list]:
        if grid is None:
            return None
        if (not isinstance(grid, (list, tuple)) or not grid
                or not all(isinstance(k, (int, float)) and k > 0
                           for k in grid)):
            raise ValueError('`study.k_grid` must be None or a non-empty '
                             f'list of positive k, got {grid!r}.')
        return list(grid)

    @staticmethod
    def _check_metrics(metrics, key: str) -> List[dict]:
        from mmpretrain.registry import METRICS
        checked = []
        for m in metrics:
            if not isinstance(m, dict) or 'type' not in m:
                raise ValueError(f'`study.{key}` must list metric dicts with '
                                 f'a `type`, got {m!r}.')
            if METRICS.get(m['type']) is None:
                ours = sorted(topgap_metrics.__all__)
                raise KeyError(
                    f'`study.{key}`: unknown metric type {m["type"]!r}; use '
                    "an MMPretrain metric (e.g. 'Accuracy') or one of "
                    f'{ours}.')
            checked.append(dict(m))
        return checked

    @staticmethod
    def _check_baselines(baselines) -> List[str]:
        for b in baselines:
            if b not in CAM_METHODS:
                raise ValueError(f'`study.baselines`: unknown CAM method '
                                 f'{b!r}; one of {sorted(CAM_METHODS)}.')
        return list(baselines)

    @property
    def evaluated_splits(self) -> List[str]:
        """The splits every run is evaluated on: the selection split, if
        any, then the test splits."""
        selection = [self.selection_split] if self.selection_split else []
        return selection + self.test_splits

    def runs(self) -> List[Run]:
        """Every training the study needs, in the order it runs them: per
        regime, the Top-GAP runs, then the twins, then each pair's peers.

        Runs of one model take about as long as each other, so with
        ``--jobs`` equal to the seed count each batch of runs holds one
        model and finishes together, rather than leaving a core idle while
        the other ends a slower model's run.

        Pairs with the same twin config share its training: the twin of a
        regime and seed is one deterministic run whatever Top-GAP model it
        is compared with, so it is trained once, in the directory of the
        first pair that names it, and read by the others
        (:attr:`Run.shared_with`).
        """
        planned = []
        for regime, regime_opts in self.regimes.items():

            def options(seed: int) -> Dict:
                return dict(self.cfg_options, **regime_opts,
                            **{'randomness.seed': seed})

            for pair in self.pairs:
                for seed in self.seeds:
                    for k in self.k_grid or [None]:
                        opts = dict(options(seed), **pair['topgap_options'])
                        if k is not None:
                            opts['model.head.k'] = k
                        planned.append(
                            Run(regime, pair['name'], 'topgap', seed,
                                pair['topgap'], k, opts))
            twins: Dict[Tuple[str, int], Run] = {}
            for pair in self.pairs:
                for seed in self.seeds:
                    shared = twins.get((osp.realpath(pair['twin']), seed))
                    if shared is not None:
                        shared.shared_with += (pair['name'], )
                        continue
                    twin = Run(regime, pair['name'], 'twin', seed,
                               pair['twin'], None, options(seed))
                    twins[(osp.realpath(pair['twin']), seed)] = twin
                    planned.append(twin)
            for pair in self.pairs:
                for peer, config in pair['peers'].items():
                    for seed in self.seeds:
                        planned.append(
                            Run(regime, pair['name'], peer, seed, config,
                                None, options(seed)))
        return planned
