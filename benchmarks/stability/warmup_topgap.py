# The pre-fix config with the L1 weight warmed up from 0 over 2 epochs.
_base_ = ['before_topgap.py']
custom_hooks = [
    dict(type='AttachModelHook'),
    dict(type='CAMCollapseHook'),
    dict(type='LossWeightWarmupHook', warmup_epochs=2),
]
