from .cam_iou import CAMIoU
from .cam_metric import CAMMetric
from .cam_sparsity import CAMSparsity
from .erf_distance import ERFDistance, ERFMaps, erf_maps
from .model_metric import ModelMetric

__all__ = [
    'CAMIoU', 'CAMMetric', 'CAMSparsity', 'ERFDistance', 'ERFMaps', 'ModelMetric',
    'erf_maps'
]
from .group_accuracy import GroupAccuracy  # noqa: F401,E402
