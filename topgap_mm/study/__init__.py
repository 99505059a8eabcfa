from .statistics import paired_difference, summarize

__all__ = ['paired_difference', 'summarize']
