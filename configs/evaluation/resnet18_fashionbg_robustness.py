# standard/resnet18_fashionbg.py evaluated with the paper's robustness metrics: accuracy, attack
# distance (Def. 7) and robust accuracy under FGSM, PGD-20 and Square.
_base_ = ['../standard/resnet18_fashionbg.py', '../_base_/evaluation/robustness.py']

test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    *_base_.robustness_metrics,
]
