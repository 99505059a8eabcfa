# COCO single-object subset (paper, appendix A) at 224x224, batch 32.
#
# Build the subset once from the official annotations:
#   python tools/dataset_converters/coco_single_object.py data/coco \
#       --splits train2017 val2017
# It keeps the images with exactly one object and the classes with at least
# 20 of them (the paper reports 53 classes; the converter prints the count,
# which `num_classes` below and in the model must match), and rasterises
# each object's mask and keeps its box. The augmentation is MMPretrain's
# ImageNet recipe in the mask- and box-aware versions.
dataset_type = 'COCOSingleObject'
data_root = 'data/coco'
num_classes = 53

data_preprocessor = dict(
    num_classes=num_classes,
    # ImageNet statistics: all backbones are ImageNet-pretrained.
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
    dict(type='LoadObjectBoxes'),
    dict(type='MaskedRandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackMaskedInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
    dict(type='LoadObjectBoxes'),
    dict(type='MaskedResizeEdge', scale=256, edge='short'),
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
        split='train2017',
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
        split='val2017',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
