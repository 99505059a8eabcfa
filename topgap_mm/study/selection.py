"""Choices made on held-out data only: k of a Top-GAP model per seed."""
import math
from typing import Dict, Hashable, Mapping


def select_on_split(results: Mapping[Hashable, Mapping[str, Mapping]],
                    split: str, key: str) -> Hashable:
    """The candidate whose metric ``key`` is highest on ``split``.

    Only ``results[candidate][split]`` is read, never another split, so a
    test split cannot leak into the choice. Ties go to the first candidate
    in the mapping's order (the order of the study's ``k_grid``).

    Args:
        results (Mapping): candidate -> split -> metric name -> value.
        split (str): The selection split, e.g. ``'val'``.
        key (str): The metric to maximise, e.g. ``'accuracy/top1'``.

    Returns:
        The chosen candidate.

    Raises:
        KeyError: If a candidate lacks the split or the metric, naming the
            candidate and the metrics it has.
    """
    if not results:
        raise ValueError('select_on_split() got no candidates.')
    # The candidate can be None (a study without a k grid), so the first
    # one is taken before any comparison.
    best, best_value = next(iter(results)), -math.inf
    for candidate, splits in results.items():
        if split not in splits:
            raise KeyError(f'Candidate {candidate!r} has no results on the '
                           f'selection split {split!r}.')
        metrics: Dict = splits[split]
        if key not in metrics:
            raise KeyError(
                f'Candidate {candidate!r}: no metric {key!r} on {split!r} to '
                f'select by; it has {sorted(metrics)}. Set '
                '`study.select_k_by` to one of them.')
        value = float(metrics[key])
        if value > best_value:
            best, best_value = candidate, value
    return best
