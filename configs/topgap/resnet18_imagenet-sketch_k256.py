# Paper, Table 5 "ImageNet -> ImageNet-Sketch": the model of
# configs/topgap/resnet18_imagenet_k256.py tested on ImageNet-Sketch.
# Standard twin: configs/standard/resnet18_imagenet-sketch.py.
_base_ = [
    './resnet18_imagenet_k256.py', '../_base_/datasets/imagenet_sketch.py'
]

test_dataloader = dict(_delete_=True, **_base_.sketch_dataloader)
