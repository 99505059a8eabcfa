from .baselines import center_gaussian_cams, uniform_cams
from .cam import original_cams
from .gradcam import gradcam_cams
from .methods import CAM_METHODS, compute_cams, resolve_method
from .normalize import normalize_cams
from .recipro_cam import recipro_cams
from .topgap_cam import is_topgap_model, select_classes, topgap_cams

__all__ = [
    'CAM_METHODS', 'center_gaussian_cams', 'compute_cams', 'gradcam_cams',
    'is_topgap_model', 'normalize_cams', 'original_cams', 'recipro_cams',
    'resolve_method', 'select_classes', 'topgap_cams', 'uniform_cams'
]
