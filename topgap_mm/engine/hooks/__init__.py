from .attach_model_hook import AttachModelHook
from .cam_visualization_hook import CAMVisualizationHook

__all__ = ['AttachModelHook', 'CAMVisualizationHook']
