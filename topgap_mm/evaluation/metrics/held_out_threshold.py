"""Map thresholds chosen on held-out data.

Metrics that binarise maps (CAM IoU, box localisation) report their score
at a threshold that must come from other data than the split they score:
they write their curve with ``save_curve`` on a validation split and read
its ``best_threshold`` back with ``threshold_from`` on the test split. This
module is the one place that reads, checks and writes those files.
"""
import json
import os
import os.path as osp
from typing import Optional

from mmengine.logging import MMLogger


def load_threshold(path: str, method: Optional[str] = None) -> float:
    """The ``best_threshold`` of a curve JSON written by ``save_curve``.

    Args:
        path (str): The JSON file.
        method (str, optional): The reading metric's CAM method; a different
            one in the file is warned about, since thresholds do not
            transfer between methods.

    Returns:
        float: The threshold.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'`threshold_from` file {path!r} does not exist; write it by '
            f'running the metric with `save_curve={path!r}` on a validation '
            f'split first.')
    with open(path) as f:
        curve = json.load(f)
    if 'best_threshold' not in curve:
        raise ValueError(f'{path} has no `best_threshold`; it was not '
                         f'written by a metric\'s `save_curve`.')
    if method is not None and curve.get('method', method) != method:
        MMLogger.get_current_instance().warning(
            f"The threshold in {path} was chosen for method "
            f"{curve['method']!r}, but this metric uses {method!r}.")
    return float(curve['best_threshold'])


def resolve_threshold(threshold: Optional[float],
                      threshold_from: Optional[str],
                      method: Optional[str] = None) -> Optional[float]:
    """The held-out threshold given directly or by a curve file, checked.

    Args:
        threshold (float, optional): A threshold in [0, 1].
        threshold_from (str, optional): A curve JSON written by
            ``save_curve``; read now, so that a missing file fails before a
            test run starts.
        method (str, optional): See :func:`load_threshold`.

    Returns:
        float | None: The threshold, None when neither is given.
    """
    if threshold is not None and threshold_from is not None:
        raise ValueError('Give `threshold` or `threshold_from`, not both.')
    if threshold_from is not None:
        threshold = load_threshold(threshold_from, method)
    if threshold is not None and not 0 <= threshold <= 1:
        raise ValueError(f'`threshold` must lie in [0, 1] (CAMs are '
                         f'min-max normalised), got {threshold}.')
    return None if threshold is None else float(threshold)


def write_curve(path: str, record: dict) -> None:
    """Write a curve record (with its ``best_threshold``) as JSON."""
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(record, f, indent=1)
