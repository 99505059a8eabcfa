# CIFAR-10 (32x32) as in MMPretrain's `cifar10_bs16.py` (random crop with
# 4-pixel padding, flip), with batch 128 on one GPU.
_base_ = ['mmpretrain::_base_/datasets/cifar10_bs16.py']

train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = dict(batch_size=128)
