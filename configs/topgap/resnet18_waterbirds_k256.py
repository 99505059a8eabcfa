# Top-GAP ResNet-18 trained on Waterbirds (landbird / waterbird) at
# 224x224, k=256; evaluated with average and worst-group accuracy.
# Standard twin: configs/standard/resnet18_waterbirds.py.
_base_ = [
    '../_base_/models/topgap_resnet18.py',
    '../_base_/datasets/waterbirds_bs32_224.py',
    '../_base_/schedules/cub_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=2, k=256))
