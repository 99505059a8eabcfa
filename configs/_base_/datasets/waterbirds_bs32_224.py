# Waterbirds (landbird / waterbird) at 224x224, batch 32 (one GPU).
#
# `data_root` is the unpacked `waterbird_complete95_forest2water2` folder
# (metadata.csv and the images). The augmentation is the group DRO code's:
# random resized crop of 70-100% of the image and flip for training; a
# square resize to 256 and a 224 centre crop for evaluation. Set `seg_root`
# to the unpacked CUB `segmentations` folder to get object masks (the
# Waterbirds images keep the CUB images' size and bird positions).
dataset_type = 'Waterbirds'
data_root = 'data/waterbird_complete95_forest2water2'
seg_root = None  # e.g. 'data/CUB_200_2011/segmentations'

data_preprocessor = dict(
    num_classes=2,
    # ImageNet statistics: all backbones are ImageNet-pretrained.
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

# `group_label` (bird type x place) reaches the data samples for
# `GroupAccuracy`.
pack = dict(
    type='PackMaskedInputs',
    meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
               'scale_factor', 'flip', 'flip_direction', 'group_label'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
    dict(
        type='MaskedRandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.7, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    pack,
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
    dict(type='MaskedResize', scale=256),
    dict(type='CenterCrop', crop_size=224),
    pack,
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        seg_root=seg_root,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        seg_root=seg_root,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Average accuracy weights the groups by the training split's group sizes
# (landbird/land, landbird/water, waterbird/land, waterbird/water), as the
# group DRO paper reports it; the worst group is the headline number.
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='GroupAccuracy', group_weights=(3498, 184, 56, 1057)),
]

test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        seg_root=seg_root,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
