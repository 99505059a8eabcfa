# The main job (`bash tools/run_demo.sh`): does Top-GAP beat the same
# ResNet-18 without it, trained from scratch to convergence, where only the
# object can tell the class? `embedded.py` in its background-independent
# regime only, reported on `test_id` only: with the background independent
# of the class in every split, `test_ood` is drawn from the same
# distribution as `test_id`, and scoring it too would add evaluation, not
# evidence. Every metric of `embedded.py` is kept but the grid pointing
# game, whose 100 grids of 4 maps for each of the twin's maps would add a
# tenth to the main job. The twin's maps are its GradCAM and the two that
# look at no image; its CAM and Recipro-CAM, other post-hoc maps of the
# same network, scored with every metric would add a twentieth.
# `run_demo.sh scratch` and `full` score all of these on the same runs.
#
#   python tools/study.py configs/studies/embedded_demo.py --jobs 3
#
# 6 trainings (2 models x 3 seeds); on 2 CPU cores with --jobs 3 the whole
# study takes the time docs/en/results/main_job.md states.
_base_ = ['./embedded.py']

_metrics = [
    m for m in _base_.study.topgap_metrics if m['type'] != 'GridPointingGame'
]
study = dict(
    regimes=dict(
        _delete_=True,
        localisation=_base_.study.regimes.localisation),
    test_splits=['test_id'],
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    baselines=['center_gaussian', 'uniform'],
    baseline_metrics=[
        m for m in _base_.study.baseline_metrics
        if m['type'] != 'GridPointingGame'
    ],
)
