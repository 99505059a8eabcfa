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
  the curve is at most ``max_slope`` points per epoch plus ``z`` standard
  errors of that slope (it no longer rises by more than the validation
  split can resolve) and their mean is within ``tolerance`` points of the
  best value of the whole run (it has not fallen from a better state);
- ``budget-bound`` otherwise, and also when the run has fewer than ``W``
  validated epochs.

The slope's standard error is that of an accuracy measured on the
validation split's ``num_samples`` images, ``100 * sqrt(p (1 - p) / n)``
points per epoch's value, through the least-squares fit: on a few hundred
images an accuracy near 93% has a standard error of about 1.3 points, and
the slope of 4 such values about 0.6 points per epoch. A fixed threshold
below that would call a model on its plateau still rising about one time
in four; the test keeps false alarms near 5% (``z = 1.64``) and says in
the verdict which slope it could resolve. Without ``num_samples`` the
slope is held to ``max_slope`` alone. "Converged" is said of a run and its
schedule: a longer schedule (a cosine annealed later) can still add a
little.
"""
import math
from typing import Dict, Iterable, Optional, Sequence

#: The study's default criterion, set on the embedded benchmark's measured
#: curves (docs/en/advanced_guides/convergence.md): a slope of 0.5 points per
#: epoch over 4 epochs is a rise of 1.5 points, and 1.64 standard errors is a
#: one-sided test at the 5% level.
CONVERGENCE_DEFAULTS = dict(
    metric='accuracy/top1',
    window=4,
    max_slope=0.5,
    z=1.64,
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
    for key in ('max_slope', 'z', 'tolerance', 'min_above_chance'):
        if not isinstance(cfg[key], (int, float)) or cfg[key] < 0:
            raise ValueError(f'`study.convergence.{key}` must be a number '
                             f'>= 0, got {cfg[key]!r}.')
    return cfg


def slope_standard_error(mean: float, num_samples: int, window: int) -> float:
    """Standard error of the least-squares slope of ``window`` accuracies
    (in percent, around ``mean``), each measured on ``num_samples`` images.

    Examples:
        >>> round(slope_standard_error(93.0, 400, 4), 2)
        0.57
    """
    p = min(max(mean / 100.0, 0.0), 1.0)
    value_se = 100.0 * math.sqrt(p * (1.0 - p) / num_samples)
    centre = (window - 1) / 2
    return value_se / math.sqrt(
        sum((i - centre)**2 for i in range(window)))


def convergence_verdict(
        curve: Sequence[float],
        num_classes: int,
        num_samples: Optional[int] = None,
        window: int = CONVERGENCE_DEFAULTS['window'],
        max_slope: float = CONVERGENCE_DEFAULTS['max_slope'],
        z: float = CONVERGENCE_DEFAULTS['z'],
        tolerance: float = CONVERGENCE_DEFAULTS['tolerance'],
        min_above_chance: float = CONVERGENCE_DEFAULTS['min_above_chance'],
        metric: str = CONVERGENCE_DEFAULTS['metric']) -> Dict:
    """The verdict of the module's criterion on one validation curve.

    Args:
        curve (Sequence[float]): The metric after each epoch, in percent.
        num_classes (int): Classes of the task; chance is ``100 /
            num_classes``.
        num_samples (int, optional): Images the metric was measured on,
            for the slope's standard error; None holds the slope to
            ``max_slope`` alone.
        window (int): Last epochs judged.
        max_slope (float): Points per epoch the last epochs may still
            rise by.
        z (float): Standard errors of the slope a rise must exceed
            ``max_slope`` by to count.
        tolerance (float): Points their mean may lie below the best.
        min_above_chance (float): Points above chance the best value must
            reach. Each defaults to :data:`CONVERGENCE_DEFAULTS`.
        metric (str): Name of the metric, for the reason.

    Returns:
        dict: ``verdict`` (one of :data:`VERDICTS`), ``reason`` (a
        sentence), ``epochs``, ``best``, ``last``, ``slope`` and
        ``max_slope``, the slope the verdict allowed (both None with fewer
        than ``window`` epochs).

    Examples:
        >>> convergence_verdict([60, 88, 90.5, 90.8, 90.3, 90.6], 4)[
        ...     'verdict']
        'converged'
        >>> convergence_verdict([30, 44, 52, 64, 78], 4, 400)['verdict']
        'budget-bound'
        >>> convergence_verdict([25, 26, 25.5, 26], 4)['verdict']
        'failed'

        A jump of 4 points followed by a plateau rises 1.1 points an epoch
        over the last 4; on 400 images that is within the slope's noise:

        >>> curve = [88.2, 89.0, 90.2, 94.2, 94.0, 94.0]
        >>> convergence_verdict(curve, 4)['verdict']
        'budget-bound'
        >>> convergence_verdict(curve, 4, num_samples=400)['verdict']
        'converged'
    """
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    if num_samples is not None and num_samples < 1:
        raise ValueError(f'num_samples must be >= 1 (images the {metric} '
                         f'was measured on), got {num_samples}.')
    curve = [float(v) for v in curve]
    if any(not math.isfinite(v) for v in curve):
        raise ValueError(f'The {metric} curve holds a non-finite value: '
                         f'{curve}.')
    result = dict(
        epochs=len(curve),
        best=max(curve) if curve else None,
        last=curve[-1] if curve else None,
        slope=None,
        max_slope=None)
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
    allowed = max_slope
    if num_samples is not None:
        allowed += z * slope_standard_error(mean, num_samples, window)
    result.update(slope=slope, max_slope=allowed)
    noise = (f'{max_slope:g} + {z:g} standard errors on {num_samples} '
             'images' if num_samples is not None else 'the validation '
             'size unknown')
    if slope > allowed:
        return dict(
            result,
            verdict='budget-bound',
            reason=f'still rising {slope:.2f} points per epoch over the '
            f'last {window} epochs (> {allowed:.2f}: {noise})')
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
        f'{window} epochs (at most {allowed:.2f}: {noise}), their mean '
        f'{drop:.1f} below the best')
