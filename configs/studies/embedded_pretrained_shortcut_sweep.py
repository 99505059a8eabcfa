# What moves Top-GAP's reliance on the background in the paper's protocol:
# one seed per setting of k, the pooling family, the L1 term's weight and
# the head's learning rate, each a pair of its own beside the one twin they
# share (its seed-0 run and the shipped Top-GAP's are those of
# embedded_pretrained_shortcut.py when the two studies share a work dir).
#
#   python tools/study.py configs/studies/embedded_pretrained_shortcut_sweep.py \
#       --work-dir work_dirs/shortcut_pretrained --jobs 2
#
# The CAM is 32x32 (1024 positions): k=1 is the maximum of the map, k=1024
# its mean. 11 settings, 11 trainings of about 15 minutes on one core each.
# Results: docs/en/results/shortcut_pretrained.md.
_base_ = ['./embedded_pretrained_shortcut.py']

_pair = _base_.study.pairs[0]


def _variant(name, **options):
    return dict(_pair, name=name, topgap_options=options)


_no_k = {'model.head.k': None}

study = dict(
    seeds=[0],
    pairs=[
        _pair,
        _variant('k1', **{'model.head.k': 1}),
        # tools/analysis_tools/suggest_k.py: the median object's area.
        _variant('k137', **{'model.head.k': 137}),
        # The k of the CUB and ImageNet configs.
        _variant('k256', **{'model.head.k': 256}),
        _variant('k1024_mean', **{'model.head.k': 1024}),
        _variant('head_lr_x0.1', **{
            'optim_wrapper.paramwise_cfg':
            dict(custom_keys={'head.conv_cam': dict(lr_mult=0.1)})
        }),
        _variant('l1_x0.1', **{'model.head.l1_loss.loss_weight': 0.1}),
        _variant('l1_x0.01', **{'model.head.l1_loss.loss_weight': 0.01}),
        _variant('no_l1', **{'model.head.l1_loss': None}),
        _variant('wildcat', **_no_k, **{
            'model.head.pool':
            dict(type='WildcatPool', kmax=64, kmin=64, alpha=0.7)
        }),
        _variant('logsumexp', **_no_k, **{
            'model.head.pool': dict(type='LogSumExpPool', r=5.0)
        }),
        _variant('per_image_k', **_no_k, **{
            'model.head.pool': dict(type='PerImageTopGAP')
        }),
    ],
)
