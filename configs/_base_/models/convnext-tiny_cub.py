# Standard ConvNeXt-tiny for CUB-200-2011 (twin of
# `topgap_convnext-tiny.py`). As in MMPretrain's own ConvNeXt configs the
# backbone pools globally *before* its final LayerNorm
# (`gap_before_final_norm=True`, the way the ImageNet weights were trained),
# so there is no neck: the head is a linear layer on the 768-d vector.
# Unlike MMPretrain's ImageNet recipe there is no label smoothing and no
# Mixup/CutMix, so the twin differs from the Top-GAP model only in the
# output structure.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvNeXt',
        arch='tiny',
        drop_path_rate=0.1,
        out_indices=(3, ),
        gap_before_final_norm=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
