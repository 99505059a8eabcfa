# Standard ResNet-18 (GAP + linear) trained from scratch on ImageNet-1k at
# 224x224: the twin of configs/topgap/resnet18_imagenet_k256.py.
_base_ = [
    '../_base_/models/resnet18_cub.py',
    '../_base_/datasets/imagenet_bs64_224.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(backbone=dict(init_cfg=None), head=dict(num_classes=1000))
optim_wrapper = dict(optimizer=dict(lr=0.025))
auto_scale_lr = dict(base_batch_size=64)
