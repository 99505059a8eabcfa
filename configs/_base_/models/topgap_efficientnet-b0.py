# Top-GAP EfficientNet-B0 for CUB-200-2011, ImageNet-pretrained.
#
# mmpretrain's EfficientNet indexes `self.layers`, not resolution stages:
# 0 = stem conv (32@112), 1..5 = MBConv groups (16@112, 24@56, 40@28,
# 112@14, 320@7 at 224x224), 6 = the final 1x1 conv (1280@7).
#
# Maps fed to the FPN: `out_indices=(2, 3, 4, 5)`, channels 24/40/112/320,
# strides 4/8/16/32, so the CAM is 56x56. These are the last 4 maps of a
# "features only" EfficientNet-B0, which has no 1280-channel head conv, and
# that reproduces Table 1: 3,595,388 (backbone without layer 6) + 1,144,832
# (FPN) + 13,621 (1x1 conv at 53 classes, the paper's COCO subset) = 4.75M
# (paper: 4.75M; the unmodified model at 53 classes is 4,075,441 = 4.08M,
# the paper's "4.08M"). mmpretrain's EfficientNet cannot drop layer 6: it
# is still built and run but its output is unused, so its 412,160
# parameters get no gradient (counted in the built model: 5.17M at 53
# classes, 5.20M at 200). Hence `find_unused_parameters=True` for DDP in
# the config that uses this model. Feeding layer 6 (1280 channels) instead
# would add 2.95M parameters to the FPN.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/efficientnet/efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNet',
        arch='b0',
        out_indices=(2, 3, 4, 5),
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    # TopGAPClsHead fuses the levels: the paper's CAM, with less to
    # upsample when there are few classes.
    neck=dict(
        type='TopGAPFPN', in_channels=[24, 40, 112, 320], fuse=False),
    head=dict(
        type='TopGAPClsHead',
        num_classes=200,
        in_channels=256,
        k=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        l1_loss=dict(type='CAML1Loss', loss_weight=1.0),
    ))

# Layer 6 of the backbone is unused (see above); DDP must be told.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
