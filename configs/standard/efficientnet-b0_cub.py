# Standard efficientnet-b0 (GAP + linear classifier) on CUB-200-2011 at
# 224x224: the baseline twin of configs/topgap/efficientnet-b0_cub_k256.py.
_base_ = [
    '../_base_/models/efficientnet-b0_cub.py',
    '../_base_/datasets/cub_bs32_224.py',
    '../_base_/schedules/cub_bs32.py',
    '../_base_/default_runtime.py',
]
