# Top-GAP ResNet-18 (paper Fig. 2) for CUB-200-2011, ImageNet-pretrained.
#
# Maps fed to the FPN: mmpretrain's ResNet `out_indices=(0, 1, 2, 3)` are
# the outputs of the four residual stages, strides 4/8/16/32, channels
# 64/128/256/512; at 224x224 they are 56/28/14/7. All four are used, so the
# CAM is 56x56 = 3136 positions, the ResNet-18 CAM size the paper quotes
# (Sec. 3.2, Fig. 3). Parameters at 200 classes: 11.18M backbone + 2.21M
# FPN + 0.05M 1x1 conv = 13.44M (standard twin: 11.28M).
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet18_8xb32_in1k_20210831-fbbb1da6.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    # TopGAPClsHead fuses the levels: the paper's CAM, with less to
    # upsample when there are few classes.
    neck=dict(
        type='TopGAPFPN', in_channels=[64, 128, 256, 512], fuse=False),
    head=dict(
        type='TopGAPClsHead',
        num_classes=200,
        in_channels=256,
        k=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        l1_loss=dict(type='CAML1Loss', loss_weight=1.0),
    ))
