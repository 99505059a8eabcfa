# The embedded benchmark's Top-GAP ResNet-18 with another CAM pooling:
# Top-GAP with a per-image k: positions above half the map's range, 4 to 64.
# The same FPN, 1x1 convolution, L1 term and schedule
# (configs/studies/embedded_pooling.py compares the family).
_base_ = ['../resnet18_fashionbg_k16.py']

model = dict(
    head=dict(
        k=None,
        pool=dict(type='PerImageTopGAP', ratio=0.5, k_min=4, k_max=64)))
