"""Did a training run finish? A verdict on its per-epoch validation curve.

A difference between two models says something about the models only when
both had finished training: a model still climbing when its schedule ended
was stopped by the budget, and a longer schedule could change the answer.
The study therefore judges every run by the criterion below and marks each
comparison in which either side did not converge.

The criterion (the study's ``convergence`` dict, defaults in
:data:`CONVERGENCE_DEFAULTS`) reads the validation metric ``metric`` (in
percent) after each epoch. With ``W`` the ``window``, a run has

- ``failed`` if its best value is less than ``min_above_chance`` points
  above chance (100 / number of classes): a curve flat at chance is no
  converged model;
- ``converged`` if over its last ``W`` epochs the least-squares slope of
  the curve is at most ``max_slope`` points per epoch (it no longer rises)
  and their mean is within ``tolerance`` points of the best value of the
  whole run (it has not fallen from a better state);
- ``budget-bound`` otherwise, and also when the run has fewer than ``W``
  validated epochs.

A slope over several epochs, not the spread of the last few values, is
what tells a plateau from a climb: on a few hundred validation images the
accuracy of a converged model moves by a point or two from epoch to epoch.
"Converged" is said of a run and its schedule: a longer schedule (a cosine
annealed later) can still add a little.
"""
import math
from typing import Dict, Iterable, Optional, Sequence

#: The study's default criterion, set on the embedded benchmark's measured
#: curves (docs/en/convergence.md): there the val accuracy (400 images) of
#: a model on its plateau moves by a point or two from epoch to epoch, and
#: a slope of 0.5 points per epoch over 4 epochs is a rise of 1.5 points.
CONVERGENCE_DEFAULTS = dict(
    metric='accuracy/top1',
    window=4,
    max_slope=0.5,
    tolerance=2.0,
    min_above_chance=10.0)

#: The verdict of a run that left no curve to judge (a study run before the
#: curves were kept): no difference resting on it counts as converged.
UNKNOWN = 'unknown'
#: Every verdict, from worst to best.
VERDICTS = ('failed', 'budget-bound', UNKNOWN, 'converged')


def worst_verdict(verdicts: Iterable[str]) -> str:
    """The worst of ``verdicts`` (``'converged'`` for none): a comparison
    is as converged as the least converged run it rests on.

    Examples:
        >>> worst_verdict(['converged', 'budget-bound', 'converged'])
        'budget-bound'
    """
    found = set(verdicts)
    return next(v for v in VERDICTS if v in found | {'converged'})


def check_convergence_cfg(cfg: Optional[dict]) -> Dict:
    """The study's ``convergence`` dict with its defaults, checked.

    Raises:
        KeyError: For unknown keys, naming the known ones.
        ValueError: For a window below 2 or a negative tolerance or margin.
    """
    cfg = dict(cfg or {})
    unknown = sorted(set(cfg) - set(CONVERGENCE_DEFAULTS))
    if unknown:
        raise KeyError(f'Unknown key(s) {unknown} in `study.convergence`; '
                       f'the known keys are {sorted(CONVERGENCE_DEFAULTS)}.')
    cfg = dict(CONVERGENCE_DEFAULTS, **cfg)
    if not isinstance(cfg['window'], int) or cfg['window'] < 2:
        raise ValueError('`study.convergence.window` must be an int >= 2 '
                         f'(epochs that must agree), got {cfg["window"]!r}.')
    for key in ('max_slope', 'tolerance', 'min_above_chance'):
        if not isinstance(cfg[key], (int, float)) or cfg[key] < 0:
            raise ValueError(f'`study.convergence.{key}` must be a number '
                             f'>= 0 (points of {cfg["metric"]}), got '
                             f'{cfg[key]!r}.')
    return cfg


def convergence_verdict(
        curve: Sequence[float],
        num_classes: int,
        window: int = CONVERGENCE_DEFAULTS['window'],
        max_slope: float = CONVERGENCE_DEFAULTS['max_slope'],
        tolerance: float = CONVERGENCE_DEFAULTS['tolerance'],
        min_above_chance: float = CONVERGENCE_DEFAULTS['min_above_chance'],
        metric: str = CONVERGENCE_DEFAULTS['metric']) -> Dict:
    """The verdict of the module's criterion on one validation curve.

    Args:
        curve (Sequence[float]): The metric after each epoch, in percent.
        num_classes (int): Classes of the task; chance is ``100 /
            num_classes``.
        window (int): Last epochs judged.
        max_slope (float): Points per epoch the last epochs may still
            rise by.
        tolerance (float): Points their mean may lie below the best.
        min_above_chance (float): Points above chance the best value must
            reach. Each defaults to :data:`CONVERGENCE_DEFAULTS`.
        metric (str): Name of the metric, for the reason.

    Returns:
        dict: ``verdict`` (one of :data:`VERDICTS`), ``reason`` (a
        sentence), ``epochs``, ``best``, ``last`` and ``slope`` (None with
        fewer than ``window`` epochs).

    Examples:
        >>> convergence_verdict([60, 88, 90.5, 90.8, 90.3, 90.6], 4)[
        ...     'verdict']
        'converged'
        >>> convergence_verdict([30, 44, 52, 64, 78], 4)['verdict']
        'budget-bound'
        >>> convergence_verdict([25, 26, 25.5, 26], 4)['verdict']
        'failed'
    """
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    curve = [float(v) for v in curve]
    if any(not math.isfinite(v) for v in curve):
        raise ValueError(f'The {metric} curve holds a non-finite value: '
                         f'{curve}.')
    result = dict(
        epochs=len(curve),
        best=max(curve) if curve else None,
        last=curve[-1] if curve else None,
        slope=None)
    chance = 100.0 / num_classes
    if curve and result['best'] < chance + min_above_chance:
        return dict(
            result,
            verdict='failed',
            reason=f'best {metric} {result["best"]:.1f} is less than '
            f'{min_above_chance:g} points above chance ({chance:.1f})')
    if len(curve) < window:
        return dict(
            result,
            verdict='budget-bound',
            reason=f'{len(curve)} validated epoch(s), fewer than the '
            f'window of {window}')
    tail = curve[-window:]
    mean = sum(tail) / window
    centre = (window - 1) / 2
    slope = sum((i - centre) * (v - mean) for i, v in enumerate(tail)) / sum(
        (i - centre)**2 for i in range(window))
    result['slope'] = slope
    if slope > max_slope:
        return dict(
            result,
            verdict='budget-bound',
            reason=f'still rising {slope:.2f} points per epoch over the '
            f'last {window} epochs (> {max_slope:g})')
    drop = result['best'] - mean
    if drop > tolerance:
        return dict(
            result,
            verdict='budget-bound',
            reason=f'the last {window} epochs average {drop:.1f} points '
            f'below its best (> {tolerance:g})')
    return dict(
        result,
        verdict='converged',
        reason=f'slope {slope:+.2f} points per epoch over the last '
        f'{window} epochs, their mean {drop:.1f} below the best')
