# Accuracy and CAM IoU / PxAP of configs/topgap/resnet18_fashionbg_k16.py on the embedded
# benchmark, as benchmarks/eval_seeds.py compares the two necks. The IoU
# threshold is fixed at 0.5 for both so that they are compared alike.
_base_ = [
    '../../configs/topgap/resnet18_fashionbg_k16.py',
    '../../configs/_base_/evaluation/interpretability.py',
]

test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='CAMIoU', threshold=0.5, max_samples=600),
]
