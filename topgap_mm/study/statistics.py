"""Summaries over seeds: mean, standard deviation, 95% confidence interval
and the paired difference of two models trained with the same seeds."""
import math
from typing import Dict, Hashable, Mapping, Sequence

from scipy import stats


def summarize(values: Sequence[float], confidence: float = 0.95) -> Dict:
    """Mean, sample standard deviation and Student-t confidence interval.

    The interval is ``mean +- t(1 - alpha/2, n - 1) * std / sqrt(n)``: the
    usual interval for the mean of a few independent runs, wider than the
    normal one for small ``n``. With one value the standard deviation and
    the interval are undefined and returned as NaN rather than as a
    misleading zero width.

    Args:
        values (Sequence[float]): One value per run (seed).
        confidence (float): Coverage of the interval. Defaults to 0.95.

    Returns:
        dict: ``n``, ``mean``, ``std``, ``ci_low``, ``ci_high`` and the
        ``values`` themselves.

    Raises:
        ValueError: If ``values`` is empty, holds a NaN, or ``confidence``
            is not in (0, 1).
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError('summarize() needs at least one value.')
    if any(math.isnan(v) for v in values):
        raise ValueError(f'summarize() got a NaN among {values}.')
    if not 0 < confidence < 1:
        raise ValueError(f'`confidence` must lie in (0, 1), got {confidence}.')
    n = len(values)
    mean = sum(values) / n
    if n == 1:
        std = low = high = math.nan
    else:
        std = math.sqrt(sum((v - mean)**2 for v in values) / (n - 1))
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)
        low, high = mean - half, mean + half
    return dict(
        n=n, mean=mean, std=std, ci_low=low, ci_high=high, values=values)


def paired_difference(first: Mapping[Hashable, float],
                      second: Mapping[Hashable, float],
                      confidence: float = 0.95) -> Dict:
    """Summary of ``first[s] - second[s]`` over the seeds ``s`` both have.

    Pairing by seed removes what the two models share in a seed (the data
    order, the split, the initialisation of the shared backbone), so the
    interval is the one of the paired t-test: if it excludes 0, the
    difference is significant at ``1 - confidence``.

    Args:
        first (Mapping): Seed -> value of the first model (e.g. Top-GAP).
        second (Mapping): Seed -> value of the second model (its twin).
        confidence (float): Coverage of the interval. Defaults to 0.95.

    Returns:
        dict: :func:`summarize` of the differences, plus ``seeds``.

    Raises:
        ValueError: If the two share no seed.
    """
    seeds = [s for s in first if s in second]
    if not seeds:
        raise ValueError(
            f'paired_difference(): no seed in common between {list(first)} '
            f'and {list(second)}.')
    result = summarize([first[s] - second[s] for s in seeds], confidence)
    result['seeds'] = seeds
    return result
