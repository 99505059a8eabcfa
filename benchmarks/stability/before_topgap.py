# configs/topgap/resnet18_fashionbg_k16.py as it was before the stability
# fix: the head's 1x1 convolution at the full learning rate.
_base_ = ['../../configs/topgap/resnet18_fashionbg_k16.py']
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
