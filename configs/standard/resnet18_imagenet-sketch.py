# The standard ResNet-18 of configs/standard/resnet18_imagenet.py tested on
# ImageNet-Sketch: the twin of configs/topgap/resnet18_imagenet-sketch_k256.py.
_base_ = ['./resnet18_imagenet.py', '../_base_/datasets/imagenet_sketch.py']

test_dataloader = dict(_delete_=True, **_base_.sketch_dataloader)
