# The fine-tuning schedule for ImageNet-pretrained backbones on the embedded
# benchmark (EfficientNet-Lite0 at 128x128, 2,000 training images): 5
# epochs, a linear warm-up over the first 20 iterations, then cosine
# annealing to 0. Both models gain most in the first two epochs
# (docs/en/advanced_guides/convergence.md); 5 give the study's convergence
# criterion, which judges the last 4 epochs, a plateau to judge.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=20),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        T_max=5,
        end=5,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=5, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=32)
