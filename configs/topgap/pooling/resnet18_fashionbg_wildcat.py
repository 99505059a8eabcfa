# The embedded benchmark's Top-GAP ResNet-18 with another CAM pooling:
# WILDCAT: the 16 highest plus 0.7 times the 16 lowest (Durand et al.). The
# same FPN, 1x1 convolution, L1 term and schedule
# (configs/studies/embedded_pooling.py compares the family).
_base_ = ['../resnet18_fashionbg_k16.py']

model = dict(
    head=dict(
        k=None,
        pool=dict(type='WildcatPool', kmax=16, kmin=16, alpha=0.7)))
