# The paper's Oxford-IIIT Pet rows (Tables 2 and 6) for ResNet-18,
# fine-tuned from ImageNet weights. Needs `data/Oxford-IIIT_Pets` (images
# and annotations with trimaps); k and the CAM-IoU threshold are chosen on
# the held-out `val` (10% of every breed of trainval).
#
#   python tools/study.py configs/studies/pets.py --dry-run
_base_ = ['../_base_/evaluation/interpretability.py']

_metrics = [
    dict(type='Accuracy', topk=(1, )),
    *_base_.interpretability_metrics,
]

study = dict(
    seeds=[0, 1, 2],
    pairs=[
        dict(
            name='resnet18',
            topgap='configs/topgap/resnet18_pets_k256.py',
            twin='configs/standard/resnet18_pets.py'),
    ],
    k_grid=[64, 128, 256, 512],
    selection_split='val',
    test_splits=['test'],
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    baselines=['cam', 'recipro_cam', 'center_gaussian', 'uniform'],
    paper=dict(default={
        'resnet18': dict(test={
            'accuracy/top1': '86.2 +- 0.7 (std. 86.1 +- 0.7)',
            'erf/distance': '0.443 (std. 0.060)',
        }),
    }),
)
