# Standard PreAct ResNet-18 for CIFAR-10 (twin of
# `topgap_preact-resnet18.py`): final BN + ReLU, GAP, 10-class linear
# layer; 11,172,170 parameters (the kuangliu/pytorch-cifar reference,
# which omits the final BN, has 11,171,146: 11.17M either way).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='PreActResNet', depth=18, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
