# The embedded benchmark's Top-GAP ResNet-18 with the k that
# tools/analysis_tools/suggest_k.py suggests for its training split (the
# median object covers 33 of the 256 CAM positions) instead of the demo's 16.
# The same FPN, 1x1 convolution, L1 term and schedule
# (configs/studies/embedded_pooling.py compares the family).
_base_ = ['../resnet18_fashionbg_k16.py']

model = dict(head=dict(k=33))
