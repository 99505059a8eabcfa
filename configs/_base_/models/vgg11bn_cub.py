# Standard VGG11-BN for CUB-200-2011 (twin of `topgap_vgg11bn.py`), built as
# MMPretrain's own VGG configs build it: the classifier (three linear
# layers, 7x7x512 -> 4096 -> 4096 -> classes) lives in the backbone, so
# there is no neck and the head only computes the loss. It needs 224x224
# inputs (the first linear layer expects a 7x7 map). The checkpoint's last
# linear layer (1000 classes) does not fit and is left at its init.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/vgg/vgg11_bn_batch256_imagenet_20210207-f244902c.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VGG',
        depth=11,
        norm_cfg=dict(type='BN'),
        num_classes=200,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=None,
    head=dict(
        type='ClsHead',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
