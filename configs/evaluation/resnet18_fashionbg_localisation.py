# standard/resnet18_fashionbg.py evaluated with the localisation and faithfulness
# metrics of the attribution literature: box localisation, pointing game,
# relevance mass and rank, deletion / insertion and the randomisation check
# (see configs/_base_/evaluation/localisation.py; choose the box threshold
# on the val split first).
_base_ = [
    '../standard/resnet18_fashionbg.py',
    '../_base_/evaluation/localisation.py'
]

test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    *_base_.localisation_metrics,
]
