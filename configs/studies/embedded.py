# The embedded benchmark's study: does Top-GAP beat the same ResNet-18
# without it, in each of the benchmark's two regimes, over seeds?
#
#   python tools/study.py configs/studies/embedded.py            # run, report
#   python tools/study.py configs/studies/embedded.py --dry-run  # the plan
#
# Every key of `study`:
#   seeds            randomness.seed of each run; statistics are over these
#   pairs            dict(name, topgap=CONFIG, twin=CONFIG); a twin must share
#                    the data, schedule and preprocessing of its Top-GAP
#                    config (checked), and differ in the model only
#   regimes          name -> dict(cfg_options=...) applied to both models
#   k_grid           optional list of k; then k is chosen per seed on
#                    `selection_split` by `select_k_by`
#   selection_split  held-out split for k and the CAM-IoU threshold
#   test_splits      splits reported; never used for any choice
#   split_key        where the split goes, under test_dataloader
#   topgap_metrics / twin_metrics   the test evaluator of each model
#   baselines        CAM methods that look at no image ('center_gaussian',
#                    'uniform'), scored with `baseline_metrics` (default:
#                    the twin's CAMIoU) on the twin's first seed
#   cfg_options      applied to every run; train_args / test_args: extra
#                    flags of tools/train.py / tools/test.py
#   confidence       of the intervals; paper: numbers of the paper per
#                    regime/pair/split/metric, shown beside ours
_base_ = ['../_base_/evaluation/interpretability.py']

# Background independent of the class in every split: a model can only use
# the object (the CUB-like setting of the paper's Tables 2 and 7).
_localisation = {
    f'{loader}.dataset.correlation': 0.25
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
}

study = dict(
    seeds=[0, 1, 2],
    pairs=[
        dict(
            name='resnet18_scratch',
            topgap='configs/topgap/resnet18_fashionbg_k16.py',
            twin='configs/standard/resnet18_fashionbg.py'),
    ],
    regimes=dict(
        localisation=dict(
            description='background independent of the class',
            cfg_options=_localisation),
        # The background predicts the class in train/val/test_id (90%) and
        # not in test_ood: the Waterbirds-like shortcut.
        shortcut=dict(description='background shortcut, 90% correlated'),
    ),
    selection_split='val',
    test_splits=['test_id', 'test_ood'],
    split_key='dataset.split',
    topgap_metrics=[
        dict(type='Accuracy', topk=(1, )),
        *_base_.interpretability_metrics,
    ],
    twin_metrics=[
        dict(type='Accuracy', topk=(1, )),
        *_base_.interpretability_metrics,
    ],
    baselines=['center_gaussian', 'uniform'],
)
