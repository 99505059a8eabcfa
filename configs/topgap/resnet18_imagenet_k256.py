# Top-GAP ResNet-18 trained from scratch on ImageNet-1k at 224x224, k=256
# (of the 56x56 CAM). Standard twin: configs/standard/resnet18_imagenet.py.
#
# Schedule: MMPretrain's `imagenet_bs256.py` (SGD, 100 epochs, steps at
# 30/60/90) with the learning rate scaled linearly to batch 64.
_base_ = [
    '../_base_/models/topgap_resnet18.py',
    '../_base_/datasets/imagenet_bs64_224.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(init_cfg=None), head=dict(num_classes=1000, k=256))
optim_wrapper = dict(optimizer=dict(lr=0.025))
auto_scale_lr = dict(base_batch_size=64)
