# The one setting of the sweep (embedded_pretrained_shortcut_sweep.py) that
# took fine-tuned Top-GAP off the background, at 3 seeds: the shipped
# Top-GAP, the same without its L1 term on the CAM, and the twin they
# share, in the shortcut regime. In the work dir of the other two studies
# it trains only the L1-free runs of seeds 1 and 2.
#
#   python tools/study.py configs/studies/embedded_pretrained_shortcut_no_l1.py \
#       --work-dir work_dirs/shortcut_pretrained --jobs 2
_base_ = ['./embedded_pretrained_shortcut.py']

_pair = _base_.study.pairs[0]

study = dict(pairs=[
    _pair,
    dict(_pair, name='no_l1', topgap_options={'model.head.l1_loss': None}),
])
