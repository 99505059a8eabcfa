# The embedded benchmark's study: does Top-GAP beat the same ResNet-18
# without it, trained from scratch to convergence (the configs' own 12-epoch
# schedule), in each of the benchmark's two regimes, over seeds? The main
# job (`tools/run_demo.sh`) runs its background-independent regime
# (`embedded_demo.py`); `tools/run_demo.sh scratch` runs this whole study.
#
#   python tools/study.py configs/studies/embedded.py --jobs 3   # run, report
#   python tools/study.py configs/studies/embedded.py --dry-run  # the plan
#
# Every key of `study`, with its default: docs/en/user_guides/studies.md,
# "The `study` dict".
_base_ = [
    '../_base_/evaluation/interpretability.py',
    '../_base_/evaluation/localisation.py',
]

# Background independent of the class in every split: a model can only use
# the object (the CUB-like setting of the paper's Tables 2 and 7).
_localisation = {
    f'{loader}.dataset.correlation': 0.25
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
}

# PGD-20 at 8/255 (Table 3); 100 images per split bound its cost.
_pgd20 = dict(
    type='RobustAccuracy',
    max_samples=100,
    attacks=[dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=20)])

# Deletion / insertion at 16 steps on 50 images per split and map: on 2 CPU
# cores its 2 x 17 forward passes per image are the costliest of the
# localisation metrics (every twin run scores 5 maps).
_literature_metrics = [
    dict(m, steps=16, max_samples=50) if m['type'] == 'DeletionInsertion'
    else m for m in _base_.localisation_metrics
]

_metrics = [
    dict(type='Accuracy', topk=(1, )),
    *_base_.interpretability_metrics,
    _pgd20,
    *_literature_metrics,
]

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
    # Every run's val curve is judged by this criterion (the defaults of
    # topgap_mm.study.convergence, written out): converged when the last 4
    # epochs rise by at most 0.5 points an epoch plus 1.64 standard errors
    # of that least-squares slope (the noise of an accuracy on the 400 val
    # images: about 0.6 points per epoch near 93%) and average within 2
    # points of the run's best; failed when the best is less than 10 points
    # above chance. The report marks every difference that rests on a run
    # that did not converge.
    convergence=dict(
        metric='accuracy/top1',
        window=4,
        max_slope=0.5,
        z=1.64,
        tolerance=2.0,
        min_above_chance=10.0),
    # Both models train with the forward pass in bfloat16 autocast
    # (AutocastOptimWrapper; parameters, gradients, validation and every
    # metric stay float32): faster on a CPU with bfloat16 instructions,
    # much slower on one without (docs/en/advanced_guides/speed.md), where
    # tools/run_demo.sh trains in float32 instead, as does
    #   --cfg-options study.cfg_options.optim_wrapper.type=OptimWrapper
    # It trains other weights than float32, as another seed does:
    # docs/en/results/main_job.md.
    cfg_options=dict(optim_wrapper=dict(type='AutocastOptimWrapper')),
    selection_split='val',
    test_splits=['test_id', 'test_ood'],
    split_key='dataset.split',
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    baselines=['cam', 'recipro_cam', 'center_gaussian', 'uniform'],
    # Every map-scoring metric for the baselines too: a score is worth what
    # a map that looks at no image reaches.
    baseline_metrics=[
        m for m in _metrics
        if m['type'] not in ('Accuracy', 'ERFDistance', 'RobustAccuracy')
    ],
)
