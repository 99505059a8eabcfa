# ImageNet-1k at 224x224, batch 64: MMPretrain's `imagenet_bs64.py` (random
# resized crop and flip; short side 256 and centre crop), reading
# `data/imagenet/{train,val}` and `meta/{train,val}.txt` as MMPretrain
# prepares them. `CheckedImageNet` reads the samples of MMPretrain's
# `ImageNet` and stops at a list line whose label, path or image is wrong,
# naming it. ImageNet has no object masks, so the plain transforms serve.
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs64.py']

dataset_type = 'CheckedImageNet'
train_dataloader = dict(
    dataset=dict(type=dataset_type), persistent_workers=True)
val_dataloader = dict(dataset=dict(type=dataset_type), persistent_workers=True)
test_dataloader = val_dataloader
