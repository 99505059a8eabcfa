from .transforms import *  # noqa: F401,F403
from .fashion_backgrounds import FashionBackgroundsDataset  # noqa: F401
