# Interpretability metrics of the paper: CAM localisation (IoU curve, PxAP),
# CAM sparsity (Table A4, Fig. 4) and the ERF distance (Def. 6).
#
# mmengine forbids one key in two base files, and every dataset base defines
# `test_evaluator`, so the metrics are kept under their own name; a config
# adds them to its evaluator:
#
#   _base_ = ['../topgap/resnet18_fashionbg_k16.py',
#             '../_base_/evaluation/interpretability.py']
#   test_evaluator = [dict(type='Accuracy', topk=(1, )),
#                     *_base_.interpretability_metrics]
#
# They need the model itself: `configs/_base_/default_runtime.py` adds the
# `AttachModelHook` that hands it over.
#
# The IoU threshold must come from held-out data: run once on the val split
# with `test_evaluator.1.save_curve=<dir>/cam_iou_val.json`, then on the test
# split with `test_evaluator.1.threshold_from=<dir>/cam_iou_val.json`.
interpretability_metrics = [
    # The caps bound the cost per evaluation: ERF needs one backward pass
    # per position and image, and post-hoc CAMs of standard models their own
    # passes; the native Top-GAP CAM comes with the test forward pass.
    dict(type='CAMIoU', method='auto', max_samples=1000),
    dict(type='CAMSparsity', method='auto', target='gt', max_samples=1000),
    dict(type='ERFDistance', normalize='zscore', max_samples=200),
]
