# Top-GAP ResNet-18 on the embedded benchmark (64x64 input, 16x16 CAM).
# Objects cover roughly 5-25% of the image, so k=16 (6% of the CAM) asks
# the network to decide from the object's most telling part.
_base_ = [
    '../_base_/datasets/fashion_backgrounds_64.py',
    '../_base_/schedules/fashion_backgrounds_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        style='pytorch'),
    # TopGAPClsHead fuses the levels: the paper's CAM, with less to
    # upsample when there are few classes.
    neck=dict(
        type='TopGAPFPN', in_channels=[64, 128, 256, 512], fuse=False),
    head=dict(
        type='TopGAPClsHead',
        num_classes=4,
        in_channels=256,
        k=16,
        l1_loss=dict(type='CAML1Loss', loss_weight=1.0),
    ))

# The head's 1x1 convolution learns at a tenth of the learning rate: at the
# shared rate its steps blew the CAM up in the first epoch, the L1 term then
# crushed it and training stalled at chance, seed-dependently
# (docs/en/advanced_guides/training_from_scratch.md).
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'head.conv_cam': dict(lr_mult=0.1)}))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
