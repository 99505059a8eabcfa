# Is fine-tuned Top-GAP on the background for want of training? The pair of
# embedded_pretrained_shortcut.py trained twice as long (10 epochs, the
# cosine schedule stretched to match) in the same shortcut regime, seed 0.
#
#   python tools/study.py configs/studies/embedded_pretrained_shortcut_long.py \
#       --work-dir work_dirs/shortcut_pretrained --jobs 2
#
# 2 trainings of about 20 minutes on one core each. Results:
# docs/en/results/shortcut_pretrained.md.
_base_ = ['./embedded_pretrained_shortcut.py']

study = dict(
    seeds=[0],
    regimes=dict(
        _delete_=True,
        shortcut_10_epochs=dict(
            description='background shortcut, 90% correlated, 10 epochs',
            cfg_options={
                'train_cfg.max_epochs': 10,
                'param_scheduler.1.T_max': 10,
                'param_scheduler.1.end': 10,
            })))
