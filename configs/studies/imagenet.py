# Distribution shift (the paper's Table 5): ResNet-18 trained on ImageNet-1k,
# tested on its validation set, on ImageNet-Sketch and on ImageNet-C (all
# corruptions and severities), each model trained once per seed and tested
# on all three. The study chooses nothing (one k; ImageNet has no masks),
# so it needs no held-out split. Needs `data/imagenet`, `data/sketch` and
# `data/imagenet-c`, and a cluster: see the dry run.
#
#   python tools/study.py configs/studies/imagenet.py --dry-run --sec-per-iter 0.1
_base_ = [
    '../_base_/datasets/imagenet_sketch.py',
    '../_base_/datasets/imagenet_c.py',
]

study = dict(
    seeds=[0, 1, 2],
    pairs=[
        dict(
            name='resnet18',
            topgap='configs/topgap/resnet18_imagenet_k256.py',
            twin='configs/standard/resnet18_imagenet.py'),
    ],
    selection_split=None,
    test_splits=[
        'val',
        dict(
            name='sketch',
            cfg_options=dict(
                test_dataloader=dict(_delete_=True,
                                     **_base_.sketch_dataloader))),
        dict(
            name='imagenet-c',
            cfg_options=dict(
                test_dataloader=dict(
                    _delete_=True, **_base_.imagenet_c_dataloader))),
    ],
    topgap_metrics=[dict(type='Accuracy', topk=(1, 5))],
    twin_metrics=[dict(type='Accuracy', topk=(1, 5))],
)
