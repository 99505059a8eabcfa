# The standard ResNet-18 of configs/standard/resnet18_imagenet.py tested on
# ImageNet-C: the twin of configs/topgap/resnet18_imagenet-c_k256.py.
_base_ = ['./resnet18_imagenet.py', '../_base_/datasets/imagenet_c.py']

test_dataloader = dict(_delete_=True, **_base_.imagenet_c_dataloader)
test_evaluator = _base_.imagenet_c_evaluator
