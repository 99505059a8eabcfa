# Top-GAP efficientnet-b0 on CUB-200-2011 at 224x224 with k=256 (paper Sec. 3).
# Standard twin (same data and schedule):
# configs/standard/efficientnet-b0_cub.py
_base_ = [
    '../_base_/models/topgap_efficientnet-b0.py',
    '../_base_/datasets/cub_bs32_224.py',
    '../_base_/schedules/cub_bs32.py',
    '../_base_/default_runtime.py',
]

# k counts CAM positions; see the model base for the CAM size (k <= area).
model = dict(head=dict(num_classes=200, k=256))
