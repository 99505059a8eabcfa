from .efficient_fpn_cam import EfficientTopGAPFPN
from .fpn_cam import TopGAPFPN

__all__ = ['EfficientTopGAPFPN', 'TopGAPFPN']
