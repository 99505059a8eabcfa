from .baselines import center_gaussian_cams, uniform_cams
from .bcos_contributions import (bcos_cams, bcos_contribution_maps,
                                 is_bcos_model)
from .original_cam import original_cams
from .grad_cam_library import (eigencam_cams, gradcam_plusplus_cams,
                               layercam_cams, library_cams, scorecam_cams,
                               xgradcam_cams)
from .gradcam import gradcam_cams
from .methods import (CAM_METHODS, SIGNED_METHODS, compute_cams,
                      resolve_method)
from .normalize import normalize_cams
from .recipro_cam import recipro_cams
from .topgap_cam import is_topgap_model, select_classes, topgap_cams

__all__ = [
    'CAM_METHODS', 'SIGNED_METHODS', 'bcos_cams', 'bcos_contribution_maps',
    'center_gaussian_cams', 'compute_cams', 'eigencam_cams', 'gradcam_cams',
    'gradcam_plusplus_cams', 'is_bcos_model', 'is_topgap_model',
    'layercam_cams', 'library_cams', 'normalize_cams', 'original_cams',
    'recipro_cams', 'resolve_method', 'scorecam_cams', 'select_classes',
    'topgap_cams', 'uniform_cams', 'xgradcam_cams'
]
