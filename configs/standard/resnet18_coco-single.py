# Standard ResNet-18 (GAP + linear) on the COCO single-object subset at
# 224x224: the twin of configs/topgap/resnet18_coco-single_k256.py.
_base_ = [
    '../_base_/models/resnet18_cub.py',
    '../_base_/datasets/coco_single_bs32_224.py',
    '../_base_/schedules/cub_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes={{_base_.num_classes}}))
