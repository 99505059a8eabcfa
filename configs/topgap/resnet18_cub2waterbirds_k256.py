# Paper, Table 5 "CUB -> Waterbirds": train the Top-GAP ResNet-18 on
# CUB-200-2011 (exactly configs/topgap/resnet18_cub_k256.py) and test it on
# the Waterbirds test images with their 200 CUB species labels, with the
# accuracy per bird-type x place group. Standard twin:
# configs/standard/resnet18_cub2waterbirds.py.
_base_ = [
    './resnet18_cub_k256.py',
    '../_base_/datasets/cub2waterbirds_test.py',
]

test_dataloader = dict(
    _delete_=True, **_base_.cub2waterbirds_test_dataloader)
test_evaluator = _base_.cub2waterbirds_test_evaluator
