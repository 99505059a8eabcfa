# Does the size prior mitigate a background shortcut (the paper's third
# claim)? The paper's protocol, EfficientNet-Lite0 fine-tuned from its
# ImageNet weights, in the shortcut regime only: each class on its own
# background in 90% of train, val and test_id, every class on every
# background in test_ood. Where do the models look when the background
# predicts the class?
#
#   python tools/study.py configs/studies/embedded_pretrained_shortcut.py --jobs 2
#
# Beside accuracy: the worst of the 16 class x background groups (on
# test_ood, 37-38 images each; on test_id the groups off their own
# background hold about 5 images each), the maps against the object mask
# (CAM IoU, PxAP, pointing game: on test_ood, a map on the background
# misses), and the paper's background measure (Table 4): FGSM on the object
# pixels against FGSM on the background pixels (attack distance = SAR(O) -
# SAR(B); negative where the background matters more). The same runs as
# the shortcut regime of embedded_pretrained.py, in a work dir of their
# own. Results: docs/en/results/shortcut_pretrained.md.
_base_ = ['./embedded_pretrained.py']

_metrics = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='GroupAccuracy'),
    dict(type='CAMIoU', method='auto', max_samples=1000),
    dict(type='AttributionLocalisation', method='auto', max_samples=1000),
    dict(type='AttackDistance', max_samples=600),
]

study = dict(
    regimes=dict(_delete_=True, shortcut=_base_.study.regimes.shortcut),
    # test_ood first: the report's gallery draws the first test split.
    test_splits=['test_ood', 'test_id'],
    topgap_metrics=_metrics,
    twin_metrics=_metrics,
    baselines=['center_gaussian', 'uniform'],
    baseline_metrics=[
        m for m in _metrics
        if m['type'] in ('CAMIoU', 'AttributionLocalisation')
    ],
)
