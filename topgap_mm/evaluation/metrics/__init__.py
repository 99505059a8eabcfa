from .attribution_localisation import AttributionLocalisation
from .cam_box_accuracy import CAMBoxAccuracy
from .cam_iou import CAMIoU
from .cam_metric import CAMMetric
from .cam_sparsity import CAMSparsity
from .deletion_insertion import DeletionInsertion
from .erf_distance import ERFDistance, ERFMaps, erf_maps
from .grid_pointing_game import GridPointingGame
from .model_metric import ModelMetric
from .parameter_randomisation import ParameterRandomisation

__all__ = [
    'AttributionLocalisation', 'CAMBoxAccuracy', 'CAMIoU', 'CAMMetric',
    'CAMSparsity', 'DeletionInsertion', 'ERFDistance', 'ERFMaps',
    'GridPointingGame', 'ModelMetric', 'ParameterRandomisation', 'erf_maps'
]
from .group_accuracy import GroupAccuracy  # noqa: F401,E402
