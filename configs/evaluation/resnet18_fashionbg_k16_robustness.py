# topgap/resnet18_fashionbg_k16.py evaluated with the paper's robustness metrics: accuracy, attack
# distance (Def. 7) and robust accuracy under FGSM, PGD-20 and Square.
_base_ = ['../topgap/resnet18_fashionbg_k16.py', '../_base_/evaluation/robustness.py']

test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    *_base_.robustness_metrics,
]
