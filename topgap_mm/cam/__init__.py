from .normalize import normalize_cams
from .topgap_cam import select_classes, topgap_cams

__all__ = ['normalize_cams', 'select_classes', 'topgap_cams']
