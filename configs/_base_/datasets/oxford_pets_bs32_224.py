# Oxford-IIIT Pet (37 breeds) at 224x224, batch 32 (one GPU), with the
# trimaps as object masks (1 pet, 0 background, 255 for the border band).
#
# `data_root` holds `images/` (images.tar.gz) and `annotations/`
# (annotations.tar.gz, with trainval.txt, test.txt and trimaps/). The paper
# names no augmentation; this is MMPretrain's ImageNet recipe (random
# resized crop and flip; short side 256 and centre crop), in the
# mask-aware versions so that the trimap follows the image.
dataset_type = 'OxfordIIITPetWithMasks'
data_root = 'data/Oxford-IIIT_Pets'

data_preprocessor = dict(
    num_classes=37,
    # ImageNet statistics: all backbones are ImageNet-pretrained.
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
    dict(type='MaskedRandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackMaskedInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadObjectMask'),
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
        split='trainval',
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
