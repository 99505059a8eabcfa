# Paper, Table 5 "ImageNet -> ImageNet-C": the model of
# configs/topgap/resnet18_imagenet_k256.py tested on every corruption and
# severity of ImageNet-C. Standard twin:
# configs/standard/resnet18_imagenet-c.py.
_base_ = ['./resnet18_imagenet_k256.py', '../_base_/datasets/imagenet_c.py']

test_dataloader = dict(_delete_=True, **_base_.imagenet_c_dataloader)
test_evaluator = _base_.imagenet_c_evaluator
