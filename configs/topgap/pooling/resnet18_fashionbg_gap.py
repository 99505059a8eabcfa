# The embedded benchmark's Top-GAP ResNet-18 with another CAM pooling:
# global average pooling of the CAM (Top-GAP's k=H*W). The same FPN, 1x1
# convolution, L1 term and schedule (configs/studies/embedded_pooling.py
# compares the family).
_base_ = ['../resnet18_fashionbg_k16.py']

model = dict(head=dict(k=None, pool=dict(type='CAMAvgPool')))
