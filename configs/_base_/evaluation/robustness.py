# Robustness metrics of the paper: attack distance (Def. 7, Table 4) and
# robust accuracy under FGSM, PGD-20 and Square at 8/255 (Table 3). Like
# the interpretability metrics they are kept under their own name:
#
#   _base_ = ['../topgap/resnet18_fashionbg_k16.py',
#             '../_base_/evaluation/robustness.py']
#   test_evaluator = [dict(type='Accuracy', topk=(1, )),
#                     *_base_.robustness_metrics]
#
# They need the model itself: `configs/_base_/default_runtime.py` adds the
# `AttachModelHook` that hands it over. For an audit that looks for gradient
# masking, use tools/analysis_tools/robustness_audit.py.
robustness_metrics = [
    dict(type='AttackDistance', eps=1 / 255, max_samples=1000),
    dict(
        type='RobustAccuracy',
        max_samples=200,
        attacks=[
            dict(type='FGSM', eps=8 / 255),
            dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=20),
            dict(type='Square', eps=8 / 255, n_queries=1000),
        ]),
]
