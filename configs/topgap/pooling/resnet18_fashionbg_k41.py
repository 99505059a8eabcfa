# The embedded benchmark's Top-GAP ResNet-18 with the k that
# tools/analysis_tools/suggest_k.py suggests where objects vary widely in
# size (configs/studies/embedded_pooling_wide.py: the median object covers
# 41 of the 256 CAM positions). The same FPN, 1x1 convolution, L1 term and
# schedule.
_base_ = ['../resnet18_fashionbg_k16.py']

model = dict(head=dict(k=41))
