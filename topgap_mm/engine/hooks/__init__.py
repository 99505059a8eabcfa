from .attach_model_hook import AttachModelHook
from .cam_collapse_hook import CAMCollapseHook
from .cam_visualization_hook import CAMVisualizationHook
from .class_count_check_hook import ClassCountCheckHook
from .loss_weight_warmup_hook import LossWeightWarmupHook

__all__ = [
    'AttachModelHook', 'CAMCollapseHook', 'CAMVisualizationHook',
    'ClassCountCheckHook', 'LossWeightWarmupHook'
]
