# Top-GAP ConvNeXt-tiny for CUB-200-2011, ImageNet-pretrained.
#
# Maps fed to the FPN: ConvNeXt `out_indices=(0, 1, 2, 3)`, the four stages
# at strides 4/8/16/32 with 96/192/384/768 channels, so the CAM is 56x56.
# `gap_before_final_norm=False` is required: by default mmpretrain's
# ConvNeXt returns globally pooled vectors, not maps. Each returned stage
# gets its own LayerNorm (`norm0`..`norm3`); only `norm3` is in the
# ImageNet checkpoint, the other three (1,344 parameters) start fresh.
# Total at 200 classes: 27.82M + 3.32M (FPN) + 0.05M = 31.19M (standard
# twin: 27.97M). Not in the paper's Table 1.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvNeXt',
        arch='tiny',
        drop_path_rate=0.1,
        out_indices=(0, 1, 2, 3),
        gap_before_final_norm=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    # TopGAPClsHead fuses the levels: the paper's CAM, with less to
    # upsample when there are few classes.
    neck=dict(
        type='TopGAPFPN', in_channels=[96, 192, 384, 768], fuse=False),
    head=dict(
        type='TopGAPClsHead',
        num_classes=200,
        in_channels=256,
        k=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        l1_loss=dict(type='CAML1Loss', loss_weight=1.0),
    ))
