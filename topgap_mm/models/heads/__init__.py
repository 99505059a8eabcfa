from .topgap_head import TopGAPClsHead

__all__ = ['TopGAPClsHead']
