# Standard DenseNet-121 for CUB-200-2011 (twin of `topgap_densenet121.py`):
# the last stage (after the final BN + ReLU), GAP + linear layer.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/densenet/densenet121_4xb256_in1k_20220426-07450f99.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DenseNet',
        arch='121',
        out_indices=(3, ),
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
