from .cam_pools import TopGAP, check_k, resolve_k, top_gap_pool  # noqa: F401
