# The embedded benchmark at 128x128, for ImageNet-pretrained backbones
# (their stride-4 map is then 32x32). EfficientNet-Lite0's ImageNet weights
# expect RGB normalised with mean = std = 0.5 (pixel values 127.5).
_base_ = ['./fashion_backgrounds_64.py']

img_size = 128

data_preprocessor = dict(
    mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])

train_dataloader = dict(dataset=dict(img_size=img_size))
val_dataloader = dict(dataset=dict(img_size=img_size))
test_dataloader = dict(dataset=dict(img_size=img_size))
