# How strong must the background shortcut be before Top-GAP, fine-tuned in
# the paper's protocol, learns it where its twin learns the object? The
# pair of embedded_pretrained_shortcut.py with each class on its own
# background in 50, 75 or 95% of train, val and test_id (90% is the
# shortcut regime there); test_ood keeps every class on every background.
#
#   python tools/study.py configs/studies/embedded_pretrained_shortcut_strength.py --jobs 2
#
# 18 trainings (3 strengths x 3 seeds x 2 models), about 20 minutes on one
# core each. Not yet measured: docs/en/results/not_yet_measured.md.
_base_ = ['./embedded_pretrained_shortcut.py']


def _strength(share):
    return dict(
        description=f'background shortcut, {round(100 * share)}% correlated',
        cfg_options={
            f'{loader}.dataset.correlation': share
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
        })


study = dict(
    regimes=dict(
        _delete_=True,
        shortcut50=_strength(0.5),
        shortcut75=_strength(0.75),
        shortcut95=_strength(0.95)))
