# The paper's Table 3: PreAct ResNet-18 on CIFAR-10 from scratch, clean and
# robust accuracy under PGD-20, PGD-50 and Square at 8/255. CIFAR-10 has no
# masks and this study chooses nothing (one k, no CAM threshold), so it
# needs no held-out split (`selection_split=None`); for an audit of
# gradient masking run tools/analysis_tools/robustness_audit.py on the
# checkpoints. Needs `data/cifar10` (cifar-10-batches-py).
#
#   python tools/study.py configs/studies/cifar10.py --dry-run
_metrics = [
    dict(type='Accuracy', topk=(1, )),
    dict(
        type='RobustAccuracy',
        max_samples=1000,
        attacks=[
            dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=20),
            dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=50),
            dict(type='Square', eps=8 / 255, n_queries=1000),
        ]),
]

study = dict(
    seeds=[0, 1, 2],
    pairs=[
        dict(
            name='preact-resnet18',
            topgap='configs/topgap/preact-resnet18_cifar10_k128.py',
            twin='configs/standard/preact-resnet18_cifar10.py'),
    ],
    selection_split=None,
    test_splits=['test'],
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    paper=dict(default={
        'preact-resnet18': dict(test={
            'accuracy/top1': '95.1 (std. 94.5)',
            'acc/PGD-20_eps8': '51.7 (std. 0.0)',
        }),
    }),
)
