# Top-GAP VGG11-BN for CUB-200-2011, ImageNet-pretrained.
#
# mmpretrain's VGG indexes its 5 conv stages 0..4; each stage ENDS with its
# 2x2 max-pool, so stage i has stride 2**(i+1): at 224x224 the maps are
# 64@112, 128@56, 256@28, 512@14, 512@7. `num_classes=-1` drops the three
# fully connected layers (the paper: "all additional linear layers are
# removed"); the checkpoint's classifier weights are then ignored.
#
# Maps fed to the FPN: the last 3 stages, `out_indices=(2, 3, 4)`, channels
# 256/512/512. This reproduces Table 1 exactly: 9,225,984 (convs) +
# 2,950,656 (FPN) + 257,000 (1x1 conv, 1000 classes) = 12.43M (paper:
# 12.43M; the unmodified VGG11-BN is 132.87M, also at 1000 classes). With 4
# maps it would be 12.73M. The CAM is 28x28 = 784 positions (stride 8)
# because mmpretrain returns each stage after its max-pool; the paper's maps
# were probably taken before the pools (same parameters, 2x finer CAM).
pretrained = 'https://download.openmmlab.com/mmclassification/v0/vgg/vgg11_bn_batch256_imagenet_20210207-f244902c.pth'  # noqa: E501

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VGG',
        depth=11,
        norm_cfg=dict(type='BN'),
        num_classes=-1,
        out_indices=(2, 3, 4),
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    # TopGAPClsHead fuses the levels: the paper's CAM, with less to
    # upsample when there are few classes.
    neck=dict(
        type='TopGAPFPN', in_channels=[256, 512, 512], fuse=False),
    head=dict(
        type='TopGAPClsHead',
        num_classes=200,
        in_channels=256,
        k=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        l1_loss=dict(type='CAML1Loss', loss_weight=1.0),
    ))
