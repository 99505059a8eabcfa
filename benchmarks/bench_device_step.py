"""Training step of Top-GAP against its twin on an accelerator: ratios, images
per second and peak device memory, in fp32, with AMP and channels-last.

Every (model, mode) candidate runs in this one process, one step each in
turn, after warm-up; times are medians of synchronised steps. Peak memory
is ``torch.cuda.max_memory_allocated`` over a candidate's steps run alone.
``--device cpu`` runs the same code on the CPU (no AMP, no memory figure),
for checking the script where no GPU is.

Usage::

    python benchmarks/bench_device_step.py --pairs resnet18_224
    python benchmarks/bench_device_step.py --device cpu --pairs \
        resnet18_fashionbg_64 --repeats 2 --batch 4
"""
import argparse
import time
from typing import Callable, Dict

import torch
import torch.nn as nn

from bench_train_step import BATCH, make_variant
from common import PAIRS, labelled_batch, median

#: Modes: (autocast, channels-last).
MODES = {'fp32': (False, False), 'amp': (True, False),
         'amp_cl': (True, True), 'fp32_cl': (False, True)}


def make_device_step(pair: str, model: nn.Module, mode: str, batch: int,
                     device: torch.device) -> Callable[[], None]:
    """One SGD step of ``model`` on ``device`` on a fixed random batch."""
    amp, channels_last = MODES[mode]
    spec = PAIRS[pair]
    inputs, samples = labelled_batch(batch, spec['size'],
                                     spec['num_classes'])
    inputs = inputs.to(device)
    samples = [s.to(device) for s in samples]
    model = model.to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    optim = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    scaler = torch.amp.GradScaler(device.type, enabled=amp)

    def step() -> None:
        with torch.autocast(device.type, enabled=amp):
            losses = model(inputs, samples, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optim)
        scaler.update()

    return step


def timed(step: Callable[[], None], device: torch.device) -> float:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def run_pair(pair: str, modes, repeats: int, batch: int,
             device: torch.device) -> Dict[str, float]:
    """Print the pair's table; returns candidate -> median step (s)."""
    steps, peaks = {}, {}
    for variant in ('twin', 'topgap'):
        for mode in modes:
            name = f'{variant}/{mode}'
            step = make_device_step(pair, make_variant(pair, variant), mode,
                                    batch, device)
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats(device)
            for _ in range(3):  # warm-up (cuDNN autotuning, allocator)
                step()
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
                peaks[name] = torch.cuda.max_memory_allocated(device) / 2**20
            steps[name] = step
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            times[name].append(timed(step, device))
    medians = {name: median(values) for name, values in times.items()}
    print(f'\n## {pair}: batch {batch}, {PAIRS[pair]["size"]}px, '
          f'{PAIRS[pair]["num_classes"]} classes, {device}')
    print('\n| candidate | step (ms) | images/s | Top-GAP / twin | peak '
          'memory (MiB) |')
    print('|---|---|---|---|---|')
    for name, value in medians.items():
        variant, mode = name.split('/')
        ratio = (f'{value / medians[f"twin/{mode}"]:.2f}'
                 if variant == 'topgap' else '')
        peak = f'{peaks[name]:.0f}' if name in peaks else '-'
        print(f'| {name} | {value * 1e3:.1f} | {batch / value:.0f} | '
              f'{ratio} | {peak} |')
    return medians


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--pairs', nargs='+', default=['resnet18_224'],
                        choices=sorted(PAIRS))
    parser.add_argument('--modes', nargs='+', default=list(MODES),
                        choices=list(MODES))
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--batch', type=int, default=None,
                        help='batch size (default: the pair\'s CPU batch x 4)')
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no GPU is visible (torch.cuda.'
                     'is_available() is False); use --device cpu to check '
                     'the script.')
    if args.repeats < 1:
        parser.error('--repeats must be >= 1')
    modes = [m for m in args.modes
             if device.type == 'cuda' or not MODES[m][0]]
    if device.type == 'cuda':
        print(f'GPU: {torch.cuda.get_device_name(device)}, torch '
              f'{torch.__version__}, CUDA {torch.version.cuda}')
    for pair in args.pairs:
        run_pair(pair, modes, args.repeats, args.batch or 4 * BATCH[pair],
                 device)


if __name__ == '__main__':
    main()
