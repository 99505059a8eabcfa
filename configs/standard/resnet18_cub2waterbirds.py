# Paper, Table 5 "CUB -> Waterbirds", baseline: the standard ResNet-18 of
# configs/standard/resnet18_cub.py tested on the Waterbirds test images with
# their 200 CUB species labels. Twin of
# configs/topgap/resnet18_cub2waterbirds_k256.py.
_base_ = [
    './resnet18_cub.py',
    '../_base_/datasets/cub2waterbirds_test.py',
]

test_dataloader = dict(
    _delete_=True, **_base_.cub2waterbirds_test_dataloader)
test_evaluator = _base_.cub2waterbirds_test_evaluator
