from .bcos_classifier import (BcosClsHead, BcosImageClassifier,
                              BcosResNetBackbone)

__all__ = ['BcosClsHead', 'BcosImageClassifier', 'BcosResNetBackbone']
