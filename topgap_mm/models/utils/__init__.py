from .cam_pools import (GlobalAvgPool, GlobalMaxPool, LogSumExpPool,
                        PerImageTopGAP, WildcatPool)
from .pyramid import UPSAMPLE_MODES, check_upsample_mode, sum_at_finest
from .top_gap import TopGAP, check_k, resolve_k, top_gap_pool

__all__ = [
    'GlobalAvgPool', 'GlobalMaxPool', 'LogSumExpPool', 'PerImageTopGAP',
    'WildcatPool', 'TopGAP', 'UPSAMPLE_MODES', 'check_k', 'check_upsample_mode',
    'resolve_k', 'sum_at_finest', 'top_gap_pool'
]
