# Standard PreAct ResNet-18 (GAP + linear classifier) on CIFAR-10, the
# baseline twin of configs/topgap/preact-resnet18_cifar10_k128.py.
_base_ = [
    '../_base_/models/preact-resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs128.py',
    '../_base_/schedules/cifar10_bs128.py',
    '../_base_/default_runtime.py',
]
