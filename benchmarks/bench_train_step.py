"""Training step time and peak memory of Top-GAP against its standard twin.

A step is ``model(inputs, samples, mode='loss')``, the sum of the losses
(Top-GAP: cross-entropy + L1 on the CAM; twin: cross-entropy), backward and
an SGD step with momentum and weight decay, on random data already in
memory (the data pipeline is the same for both models and left out).

Times: every variant runs in this one process, one step each in turn
(A B C A B C ...), and the medians are reported as ratios to the twin.

Memory: each variant runs alone in a fresh subprocess. After building the
model and the batch it resets the kernel's peak-RSS counter (writing ``5``
to ``/proc/self/clear_refs``) and records the current RSS; after the
training steps it reads the peak (``VmHWM``). The difference is what
training adds (activations kept for backward, gradients, momentum buffers,
oneDNN scratch space, the allocator's high-water mark); it is what the
ratio compares. RSS rather than torch.profiler because it counts every
allocation, oneDNN's included, and needs no instrumentation that would
itself allocate; the reset excludes the import-time peak, which is the same
for every model and would otherwise hide the training peak.

Usage::

    .venv/bin/python benchmarks/bench_train_step.py --repeats 15
    .venv/bin/python benchmarks/bench_train_step.py --pairs resnet18_224 \
        --profile topgap
"""
import argparse
import json
import re
import subprocess
import sys
from typing import Callable, List

import torch
import torch.nn as nn

from common import (PAIRS, ROOT, build, interleaved, labelled_batch,
                    machine_record, median, print_record)

#: Variants of each pair: ``topgap`` is the config as shipped (the neck
#: hands its levels to the head, ``fuse=False``), ``topgap_fused`` the
#: neck fusing them itself (``fuse=True``, the paper's order of
#: operations). A ``_cl`` suffix feeds the same model a channels-last
#: batch, as ``ChannelsLastClsDataPreprocessor`` (``tools/train.py
#: --channels-last``) does. A ``_bf16`` suffix runs the forward pass under
#: bfloat16 autocast, as ``AutocastOptimWrapper`` does (not by default:
#: ``--variants twin twin_bf16 topgap topgap_bf16``).
VARIANTS = ('twin', 'topgap', 'topgap_fused', 'efficient', 'twin_cl',
            'topgap_cl', 'topgap_fused_cl', 'efficient_cl')
BATCH = {
    'resnet18_224': 16,
    'preact18_32': 64,
    'resnet18_fashionbg_64': 32,
    'lite0_fashionbg_128': 32
}


def make_variant(pair: str, variant: str) -> nn.Module:
    """The model of ``variant`` for ``pair``."""
    spec = PAIRS[pair]
    classes = spec['num_classes']
    base = variant.replace('_bf16', '').replace('_cl', '')
    if base == 'twin':
        model = build(spec['twin'], classes)
    elif base == 'efficient' and spec['efficient']:
        model = build(spec['efficient'], classes)
    elif base == 'efficient':
        # No config of its own: the Top-GAP config with the neck swapped.
        model = build(
            spec['topgap'], classes,
            neck=dict(
                type='EfficientTopGAPFPN',
                in_channels=[64, 128, 256, 512],
                out_channels=64),
            head=dict(in_channels=64))
    elif base == 'topgap_fused':
        model = build(spec['topgap'], classes, neck=dict(fuse=True))
    else:
        model = build(spec['topgap'], classes)
    return model


def make_step(pair: str, variant: str,
              model: nn.Module) -> Callable[[], None]:
    """One SGD training step of ``model`` on a fixed random batch."""
    spec = PAIRS[pair]
    inputs, samples = labelled_batch(BATCH[pair], spec['size'],
                                     spec['num_classes'])
    if '_cl' in variant:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    model.train()
    optim = torch.optim.SGD(
        model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    bf16 = '_bf16' in variant

    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            losses = model(inputs, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()

    return step


def _rss_mib(field: str) -> float:
    """``VmRSS`` or ``VmHWM`` (peak RSS) of this process in MiB (Linux)."""
    with open('/proc/self/status') as f:
        return int(re.search(rf'{field}:\s+(\d+)', f.read()).group(1)) / 1024


def measure_memory(pair: str, variant: str, steps: int = 3) -> dict:
    """RSS (MiB) after setup and its peak over ``steps`` training steps."""
    model = make_variant(pair, variant)
    step = make_step(pair, variant, model)
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # resets VmHWM to the current RSS
    setup = _rss_mib('VmRSS')
    for _ in range(steps):
        step()
    peak = _rss_mib('VmHWM')
    return dict(setup_mib=setup, peak_mib=peak, train_mib=peak - setup)


def memory_in_subprocess(pair: str, variant: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, '--memory-child', pair, variant,
         '--num-classes', str(PAIRS[pair]['num_classes'])],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def profile(pair: str, variant: str, rows: int = 15) -> None:
    """torch.profiler's top operators of a few steps of one variant."""
    step = make_step(pair, variant, make_variant(pair, variant))
    step()
    with torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            step()
    print(f'\n## profile {pair}/{variant} (3 steps)')
    print(
        prof.key_averages().table(
            sort_by='self_cpu_time_total', row_limit=rows))


def run_pair(pair: str, variants: List[str], repeats: int,
             memory_repeats: int) -> None:
    print(f'\n## {pair}: batch {BATCH[pair]}, {PAIRS[pair]["size"]}px, '
          f'{PAIRS[pair]["num_classes"]} classes', flush=True)
    models = {v: make_variant(pair, v) for v in variants}
    steps = {v: make_step(pair, v, m) for v, m in models.items()}
    times = interleaved(steps, repeats, warmup=2)
    # Ratios are to the twin, or to the first variant when it is left out.
    ref = 'twin' if 'twin' in times else variants[0]
    base = median(times[ref])
    print(f'\n| {pair} | median step (ms) | ratio to {ref} |')
    print('|---|---|---|')
    for name, values in times.items():
        print(f'| {name} | {median(values) * 1e3:.1f} | '
              f'{median(values) / base:.3f} |')
    print(f'\n| {pair} | setup RSS (MiB) | peak RSS (MiB) | training '
          f'increment (MiB), median [min, max] of {memory_repeats} | '
          f'increment ratio to {ref} |')
    print('|---|---|---|---|---|')
    # Round-robin over the variants, as for the times: the allocator's
    # high-water mark varies from process to process.
    runs = {v: [] for v in steps}
    for _ in range(memory_repeats):
        for v in steps:
            runs[v].append(memory_in_subprocess(pair, v))
    base = median([m['train_mib'] for m in runs[ref]])
    for name, mems in runs.items():
        train = [m['train_mib'] for m in mems]
        print(f'| {name} | {median([m["setup_mib"] for m in mems]):.0f} | '
              f'{median([m["peak_mib"] for m in mems]):.0f} | '
              f'{median(train):.0f} [{min(train):.0f}, {max(train):.0f}] | '
              f'{median(train) / base:.3f} |',
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pairs', nargs='+', default=list(PAIRS))
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS))
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument(
        '--memory-repeats', type=int, default=3,
        help='fresh processes per variant for the peak memory (median)')
    parser.add_argument(
        '--profile', nargs='*', default=None,
        help='print torch.profiler top ops of these variants')
    parser.add_argument(
        '--num-classes', type=int, default=None,
        help="replace the pairs' class counts, e.g. to see where the head's "
        '1x1 convolution before the upsampling stops paying')
    parser.add_argument(
        '--memory-child', nargs=2, metavar=('PAIR', 'VARIANT'),
        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.num_classes is not None:
        for spec in PAIRS.values():
            spec['num_classes'] = args.num_classes
    if args.memory_child:
        print(json.dumps(measure_memory(*args.memory_child)))
        return
    print_record(machine_record())
    for pair in args.pairs:
        run_pair(pair, args.variants, args.repeats, args.memory_repeats)
        for variant in args.profile or []:
            profile(pair, variant)
    print_record({'loadavg_end': ' '.join(
        f'{x:.2f}' for x in __import__('os').getloadavg())})


if __name__ == '__main__':
    main()
