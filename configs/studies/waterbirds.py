# Waterbirds (Sagawa et al.): a land/water bird classifier whose training
# background follows the label 95% of the time. Average (weighted by the
# training groups) and worst-group accuracy, ResNet-18 fine-tuned from
# ImageNet weights; k is chosen on Waterbirds' own `val` split. Needs
# `data/waterbird_complete95_forest2water2` (with the CUB segmentations for
# the CAM metrics).
#
#   python tools/study.py configs/studies/waterbirds.py --dry-run
#
# Checked against the embedded benchmark's shortcut regime in the same
# protocol (docs/en/results/shortcut_pretrained.md): fine-tuned, every
# layer learns at the backbone's rate (cub_bs32.py; at 0.1x the head
# learned the background alone), and k is chosen by worst-group accuracy
# on val. There Top-GAP leaned on the background at every k from 1 to the
# whole map, so a Waterbirds answer needs the twin beside it, as here;
# whether the size prior or the FPN's fine CAM is the cause is a second
# study without a k grid, with a pair whose
# topgap_options={'model.head.k': None,
#                 'model.head.pool': dict(type='CAMAvgPool')}.
_base_ = [
    '../_base_/evaluation/interpretability.py',
    '../_base_/datasets/waterbirds_bs32_224.py',
]

_metrics = [*_base_.test_evaluator, *_base_.interpretability_metrics]

study = dict(
    seeds=[0, 1, 2],
    pairs=[
        dict(
            name='resnet18',
            topgap='configs/topgap/resnet18_waterbirds_k256.py',
            twin='configs/standard/resnet18_waterbirds.py'),
    ],
    k_grid=[64, 256],
    selection_split='val',
    # Model selection by worst-group accuracy, as the group-robustness
    # literature does.
    select_k_by='group/worst_group_accuracy',
    selection_metrics=['Accuracy', 'GroupAccuracy', 'CAMIoU'],
    test_splits=['test'],
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    baselines=['center_gaussian', 'uniform'],
)
