from .methods import CAM_METHODS, compute_cams
from .normalize import normalize_cams
from .topgap_cam import select_classes, topgap_cams

__all__ = [
    'CAM_METHODS', 'compute_cams', 'normalize_cams', 'select_classes',
    'topgap_cams'
]
