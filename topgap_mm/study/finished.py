"""The results of a study's finished runs, read back without training.

``tools/study.py --report-only`` rebuilds the report from these: a run's
own files (its ``metrics_<split>.json`` and the training record of its
logs) where the run finished, else its entry in the study's
``results.json``.
"""
import json
import os.path as osp
from typing import Dict, List

from .runner import StudyRunner
from .spec import TRAINING, Run


def finished_results(runner: StudyRunner, runs: List[Run]) -> Dict[str, Dict]:
    """Every run's results, read from the study's work directory.

    Args:
        runner (StudyRunner): The study's runner (its spec and work dir).
        runs (list[Run]): The runs the report needs.

    Returns:
        dict: Run name -> split -> metrics, and under :data:`TRAINING` the
        run's training record, as :meth:`StudyRunner.execute` returns them.

    Raises:
        FileNotFoundError: Naming the work directory and the runs that have
            neither finished files nor an entry in ``results.json``.
    """
    stored = osp.join(runner.work_dir, 'results.json')
    cached = {}
    if osp.isfile(stored):
        with open(stored) as f:
            cached = json.load(f)
    results, missing = {}, []
    for run in runs:
        if runner.is_finished(run):
            result = {}
            for split in runner.spec.evaluated_splits:
                with open(runner.metrics_file(run, split)) as f:
                    result[split] = json.load(f)
            result[TRAINING] = runner.training_record(run)
            results[run.name] = result
        elif run.name in cached:
            results[run.name] = cached[run.name]
        else:
            missing.append(run.name)
    if missing:
        what = ('no finished run and no results.json'
                if len(missing) == len(runs) else
                f'{len(missing)} of {len(runs)} runs unfinished, e.g. '
                f'{", ".join(missing[:3])}')
        raise FileNotFoundError(
            f'Nothing to report in {runner.work_dir}: {what}. Run the study '
            'without --report-only first (or pass the --work-dir it ran in).')
    return results
