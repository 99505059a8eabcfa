from .top_gap import TopGAP, check_k, resolve_k, top_gap_pool

__all__ = ['TopGAP', 'check_k', 'resolve_k', 'top_gap_pool']
