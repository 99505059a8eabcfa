"""CAM extraction throughput: the native Top-GAP CAM against post-hoc CAMs.

ResNet-18 at 224x224, 200 classes, batch 16, CAMs of the predicted class,
upsampled to the input and normalised. The Top-GAP model
(``configs/topgap/resnet18_cub_k256.py``) gives its CAM in one forward pass
(``compute_cams(method='topgap')``), as does the efficient-neck variant
(``configs/topgap_efficient/resnet18_cub_k256.py``); the standard twin
(``configs/standard/resnet18_cub.py``) is explained by this package's
GradCAM and Recipro-CAM and by pytorch-grad-cam's ``GradCAM`` on the same
layer (``backbone.layer4``). ``_cl`` rows feed the same models a
channels-last batch, as ``ChannelsLastClsDataPreprocessor`` (``tools/test.py
--channels-last``) does. Round-robin timing in one process; throughput
ratios to pytorch-grad-cam's GradCAM.

``--top 5`` adds rows for the maps of each image's 5 highest-scoring
classes: one forward pass for the native CAM (``top5`` rows), one call per
rank for pytorch-grad-cam (a forward and a backward each).

Usage::

    .venv/bin/python benchmarks/bench_cam.py --repeats 7
"""
import argparse
from typing import Callable, Dict

import torch
import torch.nn as nn
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from common import (PAIRS, build, interleaved, machine_record, median,
                    print_record)
from topgap_mm.cam import compute_cams, normalize_cams


class Logits(nn.Module):
    """An ImageClassifier as the plain ``images -> logits`` module that
    pytorch-grad-cam expects."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def native_top(model: nn.Module, inputs: torch.Tensor,
               top: int) -> torch.Tensor:
    """Normalised native CAMs (N, top, H, W) of each image's ``top``
    highest-scoring classes, from one forward pass."""
    with torch.no_grad():
        cams = model.head.forward_cam(model.extract_feat(inputs))
        ranks = model.head.pool(cams).topk(top, dim=1).indices
        picked = cams.gather(
            1, ranks[:, :, None, None].expand(-1, -1, *cams.shape[-2:]))
        return normalize_cams(picked.flatten(0, 1),
                              inputs.shape[-2:]).unflatten(0, (-1, top))


def methods(batch: int, size: int,
            top: int = 0) -> Dict[str, Callable[[], None]]:
    spec = PAIRS['resnet18_224']
    topgap = build(spec['topgap'], spec['num_classes']).eval()
    efficient = build(spec['efficient'], spec['num_classes']).eval()
    twin = build(spec['twin'], spec['num_classes']).eval()
    inputs = torch.randn(batch, 3, size, size)
    library = GradCAM(
        model=Logits(twin), target_layers=[twin.backbone.layer4])
    inputs_cl = inputs.contiguous(memory_format=torch.channels_last)

    def native():
        with torch.no_grad():
            compute_cams(topgap, inputs, 'topgap', target='pred')

    def native_cl():
        with torch.no_grad():
            compute_cams(topgap, inputs_cl, 'topgap', target='pred')

    def library_gradcam_cl():
        library(input_tensor=inputs_cl, targets=None)

    def native_efficient():
        with torch.no_grad():
            compute_cams(efficient, inputs, 'topgap', target='pred')

    def native_efficient_cl():
        with torch.no_grad():
            compute_cams(efficient, inputs_cl, 'topgap', target='pred')

    def ours_gradcam():
        compute_cams(twin, inputs, 'gradcam', target='pred')

    def ours_recipro():
        compute_cams(twin, inputs, 'recipro_cam', target='pred')

    def library_gradcam():
        library(input_tensor=inputs, targets=None)

    def library_gradcam_top():
        with torch.no_grad():
            ranks = twin(inputs, mode='tensor').topk(top, dim=1).indices
        for rank in range(top):
            targets = [ClassifierOutputTarget(int(c)) for c in ranks[:, rank]]
            library(input_tensor=inputs, targets=targets)

    extra = {}
    if top > 0:
        extra = {
            f'pytorch_grad_cam.GradCAM_top{top}': library_gradcam_top,
            f'topgap_native_top{top}': lambda: native_top(
                topgap, inputs, top),
            f'topgap_native_top{top}_cl': lambda: native_top(
                topgap, inputs_cl, top),
        }
    return {
        'pytorch_grad_cam.GradCAM': library_gradcam,
        'topgap_native': native,
        'topgap_efficient_native': native_efficient,
        'pytorch_grad_cam.GradCAM_cl': library_gradcam_cl,
        'topgap_native_cl': native_cl,
        'topgap_efficient_native_cl': native_efficient_cl,
        'ours_gradcam': ours_gradcam,
        'ours_recipro_cam': ours_recipro,
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument(
        '--top', type=int, default=0,
        help='also time the maps of the top-N classes of each image')
    args = parser.parse_args()
    print_record(machine_record())
    size = PAIRS['resnet18_224']['size']
    times = interleaved(
        methods(args.batch, size, args.top), args.repeats)
    base = median(times['pytorch_grad_cam.GradCAM'])
    print(f'\n| method (batch {args.batch}, {size}px) | median ms/batch | '
          f'images/s | throughput ratio to pytorch-grad-cam |')
    print('|---|---|---|---|')
    for name, values in times.items():
        t = median(values)
        print(f'| {name} | {t * 1e3:.1f} | {args.batch / t:.1f} | '
              f'{base / t:.2f} |')
    print_record({'loadavg_end': ' '.join(
        f'{x:.2f}' for x in __import__('os').getloadavg())})


if __name__ == '__main__':
    main()
