# Test split of Waterbirds with the 200 CUB species as labels, for models
# trained on CUB-200-2011 (paper, Table 5 "CUB -> Waterbirds"), with the
# accuracy per bird-type x place group. The dataloader replaces a CUB
# config's own test set, so it is kept under its own name; a config uses it
# as configs/topgap/resnet18_cub2waterbirds_k256.py does.
cub2waterbirds_test_dataloader = dict(
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
cub2waterbirds_test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='GroupAccuracy'),
]
