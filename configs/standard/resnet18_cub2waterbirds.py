# Paper, Table 5 "CUB -> Waterbirds", baseline: the standard ResNet-18 of
# configs/standard/resnet18_cub.py tested on the Waterbirds test images with
# their 200 CUB species labels. Twin of
# configs/topgap/resnet18_cub2waterbirds_k256.py.
_base_ = ['./resnet18_cub.py']

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
