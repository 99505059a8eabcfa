from .cam_pools import (CAMAvgPool, CAMMaxPool, GlobalAvgPool, GlobalMaxPool,
                        LogSumExpPool, PerImageTopGAP, TopGAP, WildcatPool,
                        check_k, check_maps, resolve_k, top_gap_pool,
                        topgap_pool)
from .pyramid import UPSAMPLE_MODES, check_upsample_mode, sum_at_finest

__all__ = [
    'CAMAvgPool', 'CAMMaxPool', 'GlobalAvgPool', 'GlobalMaxPool',
    'LogSumExpPool', 'PerImageTopGAP', 'TopGAP', 'WildcatPool', 'check_k',
    'check_maps', 'resolve_k', 'top_gap_pool', 'topgap_pool',
    'UPSAMPLE_MODES', 'check_upsample_mode', 'sum_at_finest'
]
