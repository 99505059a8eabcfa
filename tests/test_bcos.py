"""B-cos ResNets of the ``bcos`` package as classifiers of this plugin.

The model trains and is evaluated through MMPretrain's Runner with the
repository's hooks; its input is [x, 1 - x] of the [0, 1] image; its CAM
method is the package's own explanation and satisfies the dynamic linear
identity (the contributions sum to the logit minus its bias).
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmpretrain.registry import MODELS
from topgap_mm.cam import (bcos_contribution_maps, compute_cams,
                           normalize_cams, resolve_method)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'bcos', 'bcos_resnet18_fashionbg.py')
SIZE = 32
SCALE = dict(mean=[0., 0., 0.], std=[255., 255., 255.], num_classes=4)


def tiny_model(**kwargs):
    """A CIFAR-sized B-cos ResNet with running statistics of real batches
    and non-zero norm biases, in eval mode, as after training."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='BcosImageClassifier',
             backbone=dict(arch='cifar10_resnet20', **kwargs),
             head=dict(num_classes=4),
             data_preprocessor=SCALE))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            # One batch sets the running variance (momentum 1).
            module.momentum = 1.0
            if module.bias is not None:
                torch.nn.init.normal_(module.bias, std=0.1)
    model.train()
    with torch.no_grad():
        model(torch.rand(8, 3, SIZE, SIZE), mode='tensor')
    return model.eval()


def test_config_trains_and_evaluates_a_cam_metric_through_the_runner(tmp_path):
    cfg = Config.fromfile(CONFIG)
    for split, num in (('train', 8), ('val', 4), ('test', 4)):
        cfg.merge_from_dict({
            f'{split}_dataloader.batch_size': 4,
            f'{split}_dataloader.num_workers': 0,
            f'{split}_dataloader.persistent_workers': False,
            f'{split}_dataloader.dataset.img_size': SIZE,
            f'{split}_dataloader.dataset.num_samples': num,
        })
    # Two training iterations, then one test iteration (no val epoch).
    cfg.train_cfg.update(max_epochs=1, val_interval=2)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=1,
                                        save_optimizer=False)
    cfg.test_evaluator = [
        dict(type='Accuracy', topk=(1, )),
        dict(type='CAMIoU', method='auto', threshold=0.5)
    ]
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    assert {type(h).__name__
            for h in runner.hooks
            } >= {'ClassCountCheckHook', 'AttachModelHook'}
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    after = runner.model.state_dict()
    # Two Adam steps moved the package's layers, head included.
    for key in ('backbone.conv1.linear.weight', 'head.fc.linear.weight'):
        assert not torch.equal(before[key], after[key]), key
    metrics = runner.test()
    assert 0 <= metrics['accuracy/top1'] <= 100
    # The CAM metric ran on the B-cos contributions ('auto').
    assert 0 <= metrics['cam/iou@best_val_thr'] <= 100
    assert 0 <= metrics['cam/pxap'] <= 100
    assert resolve_method(runner.model, 'auto') == 'bcos'


def test_input_is_x_and_its_inverse_of_the_unnormalised_image():
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    images = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    seen = []
    model.backbone.encode.register_forward_hook(
        lambda module, args, out: seen.append(out))
    data = model.data_preprocessor(dict(inputs=list(images)), False)
    model(data['inputs'], mode='tensor')
    rgb = images.flip(1).float() / 255  # the dataset renders BGR
    torch.testing.assert_close(seen[0], torch.cat([rgb, 1 - rgb], dim=1))


def test_a_normalising_preprocessor_is_refused():
    model = MODELS.build(
        dict(type='BcosImageClassifier',
             backbone=dict(arch='cifar10_resnet20'),
             head=dict(num_classes=4),
             data_preprocessor=dict(mean=[123.675, 116.28, 103.53],
                                    std=[58.395, 57.12, 57.375])))
    data = model.data_preprocessor(
        dict(inputs=[torch.zeros(3, 8, 8, dtype=torch.uint8)]), False)
    with pytest.raises(ValueError, match='std=\\[255, 255, 255\\]'):
        model(data['inputs'], mode='tensor')


def test_map_equals_the_package_explanation():
    # float64, so that batched and single-image convolutions round alike.
    model = tiny_model().double()
    images = torch.rand(3, 3, SIZE, SIZE, dtype=torch.float64)
    classes = [2, 0, 3]
    maps = bcos_contribution_maps(model, images, target=classes)
    assert maps.shape == (3, SIZE, SIZE)
    for i, c in enumerate(classes):
        encoded = model.backbone.encode(images[i:i + 1]).detach()
        encoded.requires_grad_()
        explained = model.bcos_model.explain(encoded, idx=c)
        assert explained['explained_class_idx'] == c
        ref = explained['contribution_map'][0]
        assert (maps[i] - ref).abs().max() <= 1e-12 * ref.abs().max()


def test_contributions_sum_to_the_logit_minus_its_bias():
    # Without the norms' biases the model is exactly dynamic linear.
    model = tiny_model(
        norm_cfg=dict(type='BatchNormUncentered2d', bias=False)).double()
    images = torch.rand(4, 3, SIZE, SIZE, dtype=torch.float64)
    logits = model(images, mode='tensor').detach()
    for c in range(4):
        maps = bcos_contribution_maps(model, images, target=c)
        expected = logits[:, c] - model.head.logit_layer.logit_bias
        assert expected.abs().min() > 1e-6  # a non-trivial logit
        torch.testing.assert_close(maps.sum(dim=(1, 2)),
                                   expected,
                                   rtol=1e-9,
                                   atol=0)


def test_compute_cams_bcos_is_the_normalised_positive_part():
    model = tiny_model()
    images = torch.rand(3, 3, SIZE, SIZE)
    cams = compute_cams(model, images, method='bcos', target='pred')
    assert cams.shape == (3, SIZE, SIZE)
    assert cams.min() >= 0 and cams.max() <= 1
    maps = bcos_contribution_maps(model, images, target='pred')
    assert (maps < 0).any()  # so that the positive part matters
    torch.testing.assert_close(cams,
                               normalize_cams(maps.clamp(min=0), (SIZE, SIZE)))
    torch.testing.assert_close(
        compute_cams(model, images, method='auto', target='pred'), cams)


def test_bcos_method_on_another_model_names_what_it_needs():
    model = MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ResNet_CIFAR', depth=18),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=4, in_channels=512)))
    assert resolve_method(model, 'auto') == 'gradcam'
    with pytest.raises(TypeError, match='BcosImageClassifier'):
        compute_cams(model.eval(), torch.rand(1, 3, 8, 8), 'bcos', 'pred')


@pytest.mark.parametrize('backbone, head, match', [
    (dict(arch='resnet7'), {}, '`arch`'),
    ({}, dict(num_classes=1), '`num_classes`'),
    ({}, dict(logit_bias=0.0), '`logit_bias=0`'),
    (dict(conv_cfg=dict(type='Conv2d')), {}, '`conv_cfg.type`'),
    (dict(norm_cfg=dict(type='BatchNorm1d')), {}, '`norm_cfg.type`'),
    (dict(in_chans=3), {}, 'in_chans'),
    ({}, dict(small_inputs=True), 'belongs in `backbone`'),
    (dict(type='ResNet'), {}, 'drop their `type`'),
])
def test_bad_arguments_are_named(backbone, head, match):
    cfg = dict(type='BcosImageClassifier',
               backbone=dict(dict(arch='cifar10_resnet20'), **backbone),
               head=dict(dict(num_classes=4), **head))
    with pytest.raises(ValueError, match=match):
        MODELS.build(cfg)
