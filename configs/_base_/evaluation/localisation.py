# The localisation and faithfulness metrics of the attribution literature,
# beside the paper's (interpretability.py): box localisation (MaxBoxAccV2,
# GT-known and Top-1 Loc), the pointing game and relevance mass / rank
# against the object mask, the grid pointing game (no masks: any
# classification dataset), deletion / insertion AUC, and the cascading
# model-parameter randomisation check. A config adds them to its evaluator:
#
#   _base_ = ['../topgap/resnet18_fashionbg_k16.py',
#             '../_base_/evaluation/interpretability.py',
#             '../_base_/evaluation/localisation.py']
#   test_evaluator = [dict(type='Accuracy', topk=(1, )),
#                     *_base_.interpretability_metrics,
#                     *_base_.localisation_metrics]
#
# The box metric needs `gt_object_boxes` (CUBWithMasks with CUB's
# bounding_boxes.txt, COCOSingleObject, FashionBackgroundsDataset), the mask
# scores `gt_object_mask`. Its GT-known and Top-1 Loc need a threshold from
# held-out data, like CAMIoU's: run on the val split with
# `save_curve=<dir>/box_val.json`, then on the test split with
# `threshold_from=<dir>/box_val.json` (the study tool does both).
localisation_metrics = [
    dict(type='CAMBoxAccuracy', method='auto', max_samples=1000),
    dict(type='AttributionLocalisation', method='auto', max_samples=1000),
    # 2 x 33 forward passes per image.
    dict(type='DeletionInsertion', method='auto', steps=32, max_samples=100),
    # One CAM per randomised level (7-8 for a ResNet) and image.
    dict(type='ParameterRandomisation', method='auto', max_samples=50),
    # Four maps per grid, each of a grid twice the input's side: 2x2, as the
    # embedded benchmark has 4 classes (B-cos scores 250-500 grids). Last:
    # benchmarks/bench_metrics.py takes the others by index.
    dict(
        type='GridPointingGame',
        method='auto',
        grid_size=2,
        confidence_threshold=0.5,
        max_grids=100),
]
