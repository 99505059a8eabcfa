# Top-GAP PreAct ResNet-18 for CIFAR-10 (32x32), trained from scratch.
#
# Maps fed to the FPN: `out_indices=(0, 1, 2, 3)`, the four stages at
# strides 1/2/4/8 with 64/128/256/512 channels: 32x32, 16x16, 8x8, 4x4. The
# CAM is 32x32 = 1024 positions. Stage 3 is returned after the final
# BN + ReLU of the pre-activation design, stages 0-2 as raw residual sums
# (each FPN convolution has its own BN + ReLU). Parameters at 10 classes:
# 11.17M (backbone) + 2.21M (FPN) + 2,570 (1x1 conv) = 13.38M; the standard
# twin is 11.17M.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PreActResNet',
        depth=18,
        out_indices=(0, 1, 2, 3)),
    # TopGAPClsHead fuses the levels: the paper's CAM, with less to
    # upsample when there are few classes.
    neck=dict(
        type='TopGAPFPN', in_channels=[64, 128, 256, 512], fuse=False),
    head=dict(
        type='TopGAPClsHead',
        num_classes=10,
        in_channels=256,
        k=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        l1_loss=dict(type='CAML1Loss', loss_weight=1.0),
    ))
