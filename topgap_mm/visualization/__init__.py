from .cam_overlay import (inputs_to_images, mask_to_image, overlay_cam,
                          save_cam_grid, save_cam_overlay)

__all__ = [
    'inputs_to_images', 'mask_to_image', 'overlay_cam', 'save_cam_grid',
    'save_cam_overlay'
]
