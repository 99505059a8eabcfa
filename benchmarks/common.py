"""Shared helpers of the benchmarks: models from configs, the machine record
and interleaved timing."""
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import topgap_mm  # noqa: E402,F401  (registers the plugin's modules)
from mmpretrain.registry import MODELS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

#: The benchmarked pairs: Top-GAP config, efficient-neck config, twin.
PAIRS = {
    'resnet18_224': dict(
        topgap='configs/topgap/resnet18_cub_k256.py',
        efficient='configs/topgap_efficient/resnet18_cub_k256.py',
        twin='configs/standard/resnet18_cub.py',
        size=224,
        num_classes=200),
    'preact18_32': dict(
        topgap='configs/topgap/preact-resnet18_cifar10_k128.py',
        efficient=None,
        twin='configs/standard/preact-resnet18_cifar10.py',
        size=32,
        num_classes=10),
    # The embedded benchmark's pairs: the demo's from-scratch ResNet-18 at
    # 64x64 and the pretrained EfficientNet-Lite0 at 128x128.
    'resnet18_fashionbg_64': dict(
        topgap='configs/topgap/resnet18_fashionbg_k16.py',
        efficient='configs/topgap_efficient/resnet18_fashionbg_k16.py',
        twin='configs/standard/resnet18_fashionbg.py',
        size=64,
        num_classes=4),
    'lite0_fashionbg_128': dict(
        topgap='configs/topgap/efficientnet-lite0_fashionbg_k64.py',
        efficient=None,
        twin='configs/standard/efficientnet-lite0_fashionbg.py',
        size=128,
        num_classes=4),
}


def build(config: str,
          num_classes: Optional[int] = None,
          neck: Optional[dict] = None,
          head: Optional[dict] = None) -> nn.Module:
    """A classifier from a config, weights left at PyTorch's default init.

    ``init_weights`` is not called: it would download the pretrained
    backbone, and the timings and memory do not depend on the weights.
    """
    cfg = Config.fromfile(osp.join(ROOT, config))
    model_cfg = cfg.model.copy()
    if num_classes is not None:
        model_cfg.head.num_classes = num_classes
    if neck is not None:
        # A neck with a type of its own replaces the config's.
        model_cfg.neck = neck if 'type' in neck else dict(
            model_cfg.neck, **neck)
    if head is not None:
        model_cfg.head.update(head)
    torch.manual_seed(0)
    return MODELS.build(model_cfg)


def labelled_batch(batch: int, size: int, num_classes: int, seed: int = 0):
    """Random images and data samples with random ground-truth labels."""
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, 3, size, size, generator=gen)
    labels = torch.randint(num_classes, (batch, ), generator=gen)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return inputs, samples


def machine_record() -> Dict[str, str]:
    """The facts that a timing needs next to it."""
    model = platform.processor() or ''
    try:
        out = subprocess.run(['lscpu'], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            if line.startswith('Model name:'):
                model = line.split(':', 1)[1].strip()
    except OSError:
        pass
    import mmpretrain
    return {
        'cpu': model,
        'cores': str(os.cpu_count()),
        'torch': torch.__version__,
        'mmpretrain': mmpretrain.__version__,
        'threads': str(torch.get_num_threads()),
        'loadavg_start': ' '.join(f'{x:.2f}' for x in os.getloadavg()),
        'command': ' '.join([osp.relpath(sys.executable, ROOT)] + sys.argv),
    }


def print_record(record: Dict[str, str]) -> None:
    for key, value in record.items():
        print(f'# {key}: {value}', flush=True)


def interleaved(fns: Dict[str, Callable[[], None]],
                repeats: int,
                warmup: int = 1) -> Dict[str, List[float]]:
    """Time several callables round-robin (A B C A B C ...).

    Interleaving spreads slow phases of a shared machine (other jobs,
    frequency changes) over all candidates instead of one, so that their
    ratios stay meaningful even when absolute times drift.

    Returns:
        dict[str, list[float]]: Seconds per call of each callable.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for rep in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
        print(f'  round {rep + 1}/{repeats}: ' + ', '.join(
            f'{n}={t[-1] * 1e3:.1f}ms' for n, t in times.items()),
              flush=True)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
