from .top_gap_head import TopGAPClsHead

__all__ = ['TopGAPClsHead']
