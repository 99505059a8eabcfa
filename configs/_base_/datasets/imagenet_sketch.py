# ImageNet-Sketch as the test set of an ImageNet model (paper, Table 5).
#
# Only `sketch_dataloader` is defined (mmengine forbids a key in two base
# files, and the ImageNet base defines `test_dataloader`); a config uses it
#   test_dataloader = _base_.sketch_dataloader
# `data_root` is the unpacked `sketch` folder of ImageNet-Sketch.zip. The
# sketches are larger and not square; the ImageNet test pipeline applies.
sketch_dataloader = dict(
    batch_size=64,
    num_workers=5,
    persistent_workers=True,
    dataset=dict(
        type='ImageNetSketch',
        data_root='data/imagenet-sketch/sketch',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='ResizeEdge', scale=256, edge='short'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
