# Paper, Table 5 "CUB -> Waterbirds": train the Top-GAP ResNet-18 on
# CUB-200-2011 (exactly configs/topgap/resnet18_cub_k256.py) and test it on
# the Waterbirds test images with their 200 CUB species labels, with the
# accuracy per bird-type x place group. Standard twin:
# configs/standard/resnet18_cub2waterbirds.py.
_base_ = ['./resnet18_cub_k256.py']

test_dataloader = dict(
    _delete_=True,
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='Waterbirds',
        data_root='data/waterbird_complete95_forest2water2',
        split='test',
        label='species',
        # The CUB segmentations give the Waterbirds masks too.
        seg_root=None,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadObjectMask'),
            dict(type='MaskedResize', scale=256),
            dict(type='CenterCrop', crop_size=224),
            dict(
                type='PackMaskedInputs',
                meta_keys=('sample_idx', 'img_path', 'ori_shape',
                           'img_shape', 'scale_factor', 'flip',
                           'flip_direction', 'group_label')),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='GroupAccuracy'),
]
