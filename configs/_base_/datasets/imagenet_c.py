# ImageNet-C as the test set of an ImageNet model (paper, Table 5),
# evaluated per corruption and severity.
#
# Only `imagenet_c_dataloader` and `imagenet_c_evaluator` are defined
# (mmengine forbids a key in two base files); a config uses them as
#   test_dataloader = _base_.imagenet_c_dataloader
#   test_evaluator = _base_.imagenet_c_evaluator
# `GroupAccuracy` reports the accuracy of every `<corruption>/<severity>`
# and their mean. One corruption at a time keeps a run short:
#   --cfg-options test_dataloader.dataset.corruptions=fog
# The images are already 224x224 centre crops of the ImageNet validation
# set, so no resize or crop applies.
imagenet_c_dataloader = dict(
    batch_size=64,
    num_workers=5,
    persistent_workers=True,
    dataset=dict(
        type='ImageNetC',
        data_root='data/imagenet-c',
        corruptions=None,
        severities=(1, 2, 3, 4, 5),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(
                type='PackInputs',
                meta_keys=('sample_idx', 'img_path', 'ori_shape',
                           'img_shape', 'group_label')),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
imagenet_c_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='GroupAccuracy'),
]
