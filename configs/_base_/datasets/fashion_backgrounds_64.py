# The embedded benchmark: Fashion-MNIST objects pasted onto scikit-image
# photos, generated in memory (nothing to download). Backgrounds follow the
# class in `train`, `val` and `test_id` and are random in `test_ood`.
dataset_type = 'FashionBackgroundsDataset'
img_size = 64

data_preprocessor = dict(
    num_classes=4,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # the dataset renders BGR images, as LoadImageFromFile would
    to_rgb=True,
)

# mmcv's RandomFlip moves `gt_seg_map` with the image, so masks stay aligned.
train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackMaskedInputs'),
]
test_pipeline = [dict(type='PackMaskedInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    dataset=dict(
        type=dataset_type,
        split='train',
        img_size=img_size,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        type=dataset_type,
        split='val',
        img_size=img_size,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

# In-distribution test split; the out-of-distribution one is
# `--cfg-options test_dataloader.dataset.split=test_ood`.
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        type=dataset_type,
        split='test_id',
        img_size=img_size,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
