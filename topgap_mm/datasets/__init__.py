from .transforms import *  # noqa: F401,F403
from .fashion_backgrounds import FashionBackgroundsDataset  # noqa: F401
from .checked_folders import (CheckedCustomDataset,  # noqa: F401
                              CheckedImageNet)
from .coco_single_object import COCOSingleObject  # noqa: F401
from .cub_masks import CUBWithMasks  # noqa: F401
from .imagenet_variants import ImageNetC, ImageNetSketch  # noqa: F401
from .kfold import StratifiedKFoldDataset  # noqa: F401
from .oxford_pets import OxfordIIITPetWithMasks  # noqa: F401
from .waterbirds import Waterbirds  # noqa: F401
