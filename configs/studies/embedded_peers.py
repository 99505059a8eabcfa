# Top-GAP beside B-cos, the other design whose explanation is part of the
# model, and the standard twin's GradCAM: the main job's question asked of
# three models. Background independent of the class (the main job's
# regime), ResNet-18 from scratch, 3 seeds, reported on `test_id`.
#
#   python tools/study.py configs/studies/embedded_peers.py --jobs 3 \
#       --work-dir work_dirs/demo_peers      # or: bash tools/run_demo.sh peers
#
# B-cos (configs/bcos/bcos_resnet18_fashionbg.py) is a peer, not a twin: it
# trains on the same data for the same 12 epochs and cosine schedule, but
# with its own recipe (Adam, its [x, 1 - x] input without mean/std, its
# BCE loss), as its authors train it; the study checks the shared data and
# epochs. Its map is its own explanation (the dynamic linear contributions,
# method='auto'), Top-GAP's its CAM, the twin's GradCAM. The metrics are
# those the B-cos papers and ours both read: accuracy, the mask scores (CAM
# IoU, PxAP), boxes, the pointing game, the mask-free grid pointing game,
# deletion / insertion and PGD-20; the maps that look at no image are the
# floor every map must clear (on the 2x2 grid game the uniform map scores
# 1/4 of the attribution in the target's cell).
_base_ = ['./embedded.py']

_kept = ('Accuracy', 'CAMIoU', 'CAMBoxAccuracy', 'AttributionLocalisation',
         'GridPointingGame', 'DeletionInsertion', 'RobustAccuracy')
_metrics = [m for m in _base_.study.topgap_metrics if m['type'] in _kept]
study = dict(
    regimes=dict(
        _delete_=True,
        localisation=_base_.study.regimes.localisation),
    test_splits=['test_id'],
    pairs=[
        dict(
            name='resnet18_scratch',
            topgap='configs/topgap/resnet18_fashionbg_k16.py',
            twin='configs/standard/resnet18_fashionbg.py',
            peers=dict(bcos='configs/bcos/bcos_resnet18_fashionbg.py')),
    ],
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    peer_metrics=_metrics,
    baselines=['center_gaussian', 'uniform'],
    baseline_metrics=[
        m for m in _metrics if m['type'] not in ('Accuracy', 'RobustAccuracy')
    ],
    # Every model in float32, as docs/en/results/peers.md measured them:
    # `_delete_` drops the bfloat16 autocast of embedded.py.
    cfg_options=dict(_delete_=True),
)
