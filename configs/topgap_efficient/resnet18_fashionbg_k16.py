# configs/topgap/resnet18_fashionbg_k16.py with EfficientTopGAPFPN (depthwise-separable
# 3x3 convolutions with 64 filters, cascaded upsampling): the same data,
# schedule, k and CAM size (16x16, the finest backbone map). It lives outside
# configs/topgap because the tests there require the paper's TopGAPFPN.
# Standard twin: configs/standard/resnet18_fashionbg.py.
_base_ = ['../topgap/resnet18_fashionbg_k16.py']

model = dict(
    # _delete_: none of the paper neck's settings (`fuse`) carry over.
    neck=dict(
        _delete_=True,
        type='EfficientTopGAPFPN',
        in_channels=[64, 128, 256, 512],
        out_channels=64),
    head=dict(in_channels=64))
