# How strong must the background shortcut be before Top-GAP, fine-tuned in
# the paper's protocol, learns it where its twin learns the object? The
# pair of embedded_pretrained_shortcut.py with each class on its own
# background in 50, 75 or 95% of train, val and test_id (90% is the
# shortcut regime there); test_ood keeps every class on every background.
#
#   python tools/study.py configs/studies/embedded_pretrained_shortcut_strength.py --jobs 2
#
# Seed 0 at each strength (the 90% point has 3 seeds in
# embedded_pretrained_shortcut.py): 6 trainings, about 15 minutes on one core
# each; study.seeds="[0,1,2]" makes it 18. Results:
# docs/en/results/shortcut_pretrained.md.
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
    seeds=[0],
    regimes=dict(
        _delete_=True,
        shortcut50=_strength(0.5),
        shortcut75=_strength(0.75),
        shortcut95=_strength(0.95)))
