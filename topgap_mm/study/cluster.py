"""A study's runs as cluster jobs, submitted through submitit.

Each unfinished run becomes one job that trains it (resuming from its own
checkpoints) and evaluates it, exactly as :class:`StudyRunner` does on one
machine; the jobs write into the study's run directories, so when they
are done the report is built from those files as after a local study. A
job that Slurm pre-empts or stops at its time limit is requeued by
submitit (up to ``max_num_timeout`` times) and resumes its training; a
study whose jobs died anyway continues when the same command runs again,
since only unfinished runs are submitted.
"""
import os.path as osp
from typing import Callable, Dict, List, Optional

import submitit

from .runner import StudyRunner
from .spec import Run, StudySpec

#: ``--launcher`` choices of ``tools/study.py`` that submit jobs.
CLUSTER_LAUNCHERS = ('slurm', 'local')


class RunJob(submitit.helpers.Checkpointable):
    """One study run as a job: train (or resume) it, then evaluate it.

    The spec travels as its plain dict and is checked again in the job, so
    a job needs nothing pickled but plain data.

    Args:
        study (dict): The study config's ``study`` dict.
        root (str): The repository root the spec's paths are relative to.
        work_dir (str): The study's work directory.
        run (Run): The run.
        gpus (int): GPUs of the job; more than one trains with torchrun.
    """

    def __init__(self, study: dict, root: str, work_dir: str, run: Run,
                 gpus: int = 0) -> None:
        self.study = study
        self.root = root
        self.work_dir = work_dir
        self.run = run
        self.gpus = gpus

    def __call__(self) -> Dict[str, Dict]:
        runner = StudyRunner(
            StudySpec(self.study, self.root), self.work_dir,
            train_processes=max(1, self.gpus))
        return runner.evaluate(self.run, runner.train(self.run))


def build_executor(launcher: str,
                   folder: str,
                   partition: Optional[str] = None,
                   gpus_per_run: int = 1,
                   cpus_per_run: int = 8,
                   time_limit: int = 240) -> submitit.Executor:
    """The submitit executor of ``launcher``.

    Args:
        launcher (str): ``'slurm'`` (sbatch) or ``'local'`` (submitit's
            local executor: jobs as processes here, for trying a set-up).
        folder (str): Where submitit keeps job scripts and logs.
        partition (str, optional): Slurm partition; required for slurm.
        gpus_per_run (int): GPUs of each job. Defaults to 1.
        cpus_per_run (int): CPUs of each job. Defaults to 8.
        time_limit (int): Minutes per job before Slurm stops it (submitit
            then requeues it). Defaults to 240.

    Returns:
        submitit.Executor: The executor.
    """
    if launcher not in CLUSTER_LAUNCHERS:
        raise ValueError(f'launcher must be one of {CLUSTER_LAUNCHERS}, got '
                         f'{launcher!r}.')
    if gpus_per_run < 0 or cpus_per_run < 1 or time_limit < 1:
        raise ValueError(
            f'gpus_per_run ({gpus_per_run}) must be >= 0, cpus_per_run '
            f'({cpus_per_run}) and time_limit ({time_limit} min) >= 1.')
    if launcher == 'local':
        executor = submitit.LocalExecutor(folder)
        executor.update_parameters(timeout_min=time_limit)
        return executor
    if not partition:
        raise ValueError('--launcher slurm needs --partition.')
    executor = submitit.AutoExecutor(folder, cluster='slurm')
    executor.update_parameters(
        slurm_partition=partition,
        gpus_per_node=gpus_per_run,
        tasks_per_node=1,
        cpus_per_task=cpus_per_run,
        timeout_min=time_limit,
        name='topgap_study')
    return executor


def submit_runs(runner: StudyRunner,
                runs: List[Run],
                executor: submitit.Executor,
                gpus_per_run: int = 1,
                log: Callable[[str], None] = print) -> List[str]:
    """Submit every unfinished run as a job and wait for all of them.

    Args:
        runner (StudyRunner): The study's runner (spec and work directory).
        runs (list[Run]): The study's runs.
        executor (submitit.Executor): From :func:`build_executor`.
        gpus_per_run (int): GPUs of each job.
        log (callable): Progress lines.

    Returns:
        list[str]: The names of the runs that were submitted.

    Raises:
        RuntimeError: If jobs failed; names them and their logs.
    """
    todo = [r for r in runs if not runner.is_finished(r)]
    log(f'[study] {len(runs)} runs, {len(runs) - len(todo)} finished; '
        f'submitting {len(todo)} jobs ({type(executor).__name__})')
    jobs = [
        executor.submit(
            RunJob(runner.spec.raw, runner.spec.root, runner.work_dir, run,
                   gpus_per_run)) for run in todo
    ]
    for run, job in zip(todo, jobs):
        log(f'[study] job {job.job_id}: {run.name}')
    failed = []
    for i, (run, job) in enumerate(zip(todo, jobs), 1):
        try:
            job.result()
            log(f'[study] finished {i}/{len(jobs)}: {run.name}')
        except Exception as e:  # noqa: BLE001  (every failure is reported)
            failed.append(f'{run.name} (job {job.job_id}, log '
                          f'{job.paths.stderr}): {str(e).splitlines()[-1]}')
    if failed:
        raise RuntimeError(f'{len(failed)} of {len(jobs)} jobs failed; run '
                           f'the same command again to resubmit them once '
                           f'fixed:\n  ' + '\n  '.join(failed))
    return [r.name for r in todo]


def submitit_folder(work_dir: str) -> str:
    """Where a study's job scripts and logs go (``%j`` is the job id)."""
    return osp.join(work_dir, 'submitit', '%j')
