# MMPretrain's CIFAR schedule for total batch 128: SGD lr 0.1, momentum 0.9,
# weight decay 1e-4, 200 epochs, lr x0.1 at epochs 100 and 150.
_base_ = ['mmpretrain::_base_/schedules/cifar10_bs128.py']
