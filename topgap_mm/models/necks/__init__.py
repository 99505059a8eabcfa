from .fpn_cam import TopGAPFPN

__all__ = ['TopGAPFPN']
