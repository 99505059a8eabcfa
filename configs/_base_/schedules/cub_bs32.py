# MMPretrain's CUB fine-tuning schedule (`cub_bs64.py`: SGD with Nesterov
# momentum, weight decay 5e-4, 5 warm-up epochs, cosine annealing, 100
# epochs), with the learning rate scaled linearly from its total batch 64
# (lr 0.01) to the batch 32 of `cub_bs32_224.py` (lr 0.005).
_base_ = ['mmpretrain::_base_/schedules/cub_bs64.py']

# Every parameter learns at this rate, the newly initialised FPN and head of a
# Top-GAP model included (no `paramwise_cfg`), as the twin's new linear head
# does. Fine-tuning on the embedded benchmark
# (docs/en/advanced_guides/convergence.md) measured this: the Top-GAP head's
# 1x1 convolution at 0.1x the rate (the fix for training from scratch) slowed
# Top-GAP behind its twin, at 1x both converged.
optim_wrapper = dict(optimizer=dict(lr=0.005))

# `--auto-scale-lr` rescales from this total batch size.
auto_scale_lr = dict(base_batch_size=32)
