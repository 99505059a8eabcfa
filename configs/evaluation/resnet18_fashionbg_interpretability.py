# standard/resnet18_fashionbg.py evaluated with the paper's interpretability metrics: accuracy,
# CAM IoU and PxAP, CAM sparsity and ERF distance. Choose the IoU threshold
# on the val split first (see configs/_base_/evaluation/interpretability.py).
_base_ = ['../standard/resnet18_fashionbg.py', '../_base_/evaluation/interpretability.py']

test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    *_base_.interpretability_metrics,
]
