# CUB-200-2011 at 224x224, batch 32 (one GPU).
#
# At 224x224 the stride-4 map of ResNet / ConvNeXt / EfficientNet is 56x56,
# the CAM size the paper uses (k=256 is ~8% of its 3136 positions).
#
# The recipe is MMPretrain's CUB recipe (`cub_bs8_448.py`: square resize,
# random crop, flip) scaled from 600/448 to 256/224. With `segmentations/`
# unpacked in `data_root` (segmentations.tgz), `type='CUBWithMasks'`
# (topgap_mm's extension of MMPretrain's `CUB`) gives every image its mask:
# `LoadObjectMask` reads it, `MaskedResize`, `MaskedRandomCrop` and mmcv's
# `RandomFlip` and `CenterCrop` move it with the image (mmcv's `Resize`
# would shift it by half a pixel), and `PackMaskedInputs` packs it as
# `gt_object_mask` for the mask metrics. Without the segmentations the
# dataset warns, the pipelines skip the mask and training is unchanged.
# Likewise `LoadObjectBoxes` takes each image's box from
# `bounding_boxes.txt`, the same transforms move it, and it is packed as
# `gt_object_boxes` for the box metrics.
dataset_type = 'CUBWithMasks'
data_root = 'data/CUB_200_2011'

data_preprocessor = dict(
    num_classes=200,
    # ImageNet statistics: all backbones are ImageNet-pretrained.
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # convert image from BGR to RGB
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
    dict(type='LoadObjectBoxes'),
    dict(type='MaskedResize', scale=256),
    dict(type='MaskedRandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackMaskedInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
    dict(type='LoadObjectBoxes'),
    dict(type='MaskedResize', scale=256),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackMaskedInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

# Held out of the training split (10% of every class, seed 0; the log
# says how many): k, the CAM-IoU threshold and the epoch are chosen here,
# never on the test split.
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
