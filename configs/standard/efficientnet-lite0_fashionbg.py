# Standard twin of configs/topgap/efficientnet-lite0_fashionbg_k64.py: the
# whole ImageNet-pretrained EfficientNet-Lite0 (its 1280-channel head conv
# included), GAP and a linear head, with the same data and schedule.
_base_ = [
    '../_base_/datasets/fashion_backgrounds_128.py',
    '../_base_/schedules/fashion_backgrounds_finetune_cpu.py',
    '../_base_/default_runtime.py',
]

pretrained = '~/.cache/topgap_mm/efficientnet_lite0_timm.pth'

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='TIMMBackbone',
        model_name='efficientnet_lite0',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=4,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
