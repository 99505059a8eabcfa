# Top-GAP ResNet-50 for CUB-200-2011, ImageNet-pretrained.
#
# Maps fed to the FPN: ResNet `out_indices=(0, 1, 2, 3)`, the four
# bottleneck stages at strides 4/8/16/32 with 256/512/1024/2048 channels,
# so the CAM is 56x56 as for ResNet-18 and the same k means the same
# fraction of the image. Not in the paper's Table 1; the 3x3 convolutions
# on the wide bottleneck outputs cost 8.85M parameters (total 32.41M at 200
# classes vs 23.92M for the standard twin). Using only the last 3 maps would
# save 0.6M but halve the CAM to 28x28.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    # TopGAPClsHead fuses the levels: the paper's CAM, with less to
    # upsample when there are few classes.
    neck=dict(
        type='TopGAPFPN', in_channels=[256, 512, 1024, 2048], fuse=False),
    head=dict(
        type='TopGAPClsHead',
        num_classes=200,
        in_channels=256,
        k=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        l1_loss=dict(type='CAML1Loss', loss_weight=1.0),
    ))
