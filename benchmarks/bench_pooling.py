"""Top-GAP pooling, forward + backward: ``topk`` against alternatives.

Every formulation returns the mean of the k largest values of each channel
of a CAM (N, C, H, W) and its gradient; they are timed round-robin in one
process (ratios to the ``topk`` of :func:`topgap_mm.models.utils.topgap_pool`
at the same shape) and checked against it on random data before timing:

- ``topk``: ``x.topk(k, sorted=False).values.mean()`` (the package's);
- ``topk_sorted``: the same with ``sorted=True``;
- ``sort``: a full descending sort, then the first k;
- ``kthvalue_mask``: the k-th largest value ``t`` by ``kthvalue``, then
  ``(sum(x * (x > t)) + (k - #(x > t)) * t) / k``, which equals the top-k
  sum even with ties at ``t``.

Peak memory of forward + backward at ImageNet scale (1000 classes, 56x56)
is measured per formulation in a fresh subprocess: the peak RSS counter is
reset after the CAM is allocated, so the number is what pooling and its
backward add on top of the CAM.

Usage::

    .venv/bin/python benchmarks/bench_pooling.py --repeats 7
"""
import argparse
import json
import re
import subprocess
import sys
from typing import Callable, Dict

import torch

from common import (ROOT, interleaved, machine_record, median,
                    print_record)
from topgap_mm.models.utils import topgap_pool
from topgap_mm.utils import markdown_table


def pool_sort(x: torch.Tensor, k: int) -> torch.Tensor:
    return x.flatten(2).sort(dim=2, descending=True).values[..., :k].mean(2)


def pool_topk_sorted(x: torch.Tensor, k: int) -> torch.Tensor:
    return x.flatten(2).topk(k, dim=2, sorted=True).values.mean(2)


def pool_kthvalue_mask(x: torch.Tensor, k: int) -> torch.Tensor:
    flat = x.flatten(2)
    kth = flat.kthvalue(flat.shape[2] - k + 1, dim=2, keepdim=True).values
    above = flat > kth
    # Ties at the k-th value: only as many of them as fill k count.
    total = (flat * above).sum(2) + (k - above.sum(2)) * kth[..., 0]
    return total / k


METHODS: Dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    'topk': topgap_pool,
    'topk_sorted': pool_topk_sorted,
    'sort': pool_sort,
    'kthvalue_mask': pool_kthvalue_mask,
}


def fwd_bwd(method: str, cam: torch.Tensor, k: int) -> Callable[[], None]:
    fn = METHODS[method]
    grad = torch.randn(cam.shape[:2])

    def run():
        cam.grad = None
        fn(cam, k).backward(grad)

    return run


def check(method: str) -> None:
    """Same values and gradients as ``topk`` (no ties in random data)."""
    cam = torch.randn(4, 7, 9, 9, requires_grad=True)
    ref = torch.autograd.grad(topgap_pool(cam, 10).sum(), cam)[0]
    out = METHODS[method](cam, 10)
    assert torch.allclose(out, topgap_pool(cam, 10), atol=1e-6)
    got = torch.autograd.grad(out.sum(), cam)[0]
    assert torch.allclose(got, ref, atol=1e-6), method


def memory_child(method: str, batch: int, classes: int, side: int,
                 k: int) -> dict:
    cam = torch.randn(batch, classes, side, side, requires_grad=True)
    run = fwd_bwd(method, cam, k)
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # resets VmHWM (peak RSS) to the current RSS

    def field(name):
        with open('/proc/self/status') as f:
            return int(re.search(rf'{name}:\s+(\d+)', f.read()).group(1))

    base = field('VmRSS')
    run()
    return dict(
        cam_mib=cam.numel() * 4 / 2**20,
        extra_mib=(field('VmHWM') - base) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--sides', type=int, nargs='+',
                        default=[16, 28, 56])
    parser.add_argument('--classes', type=int, nargs='+',
                        default=[10, 200, 1000])
    parser.add_argument('--memory-child', nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        method, *nums = args.memory_child
        print(json.dumps(memory_child(method, *map(int, nums))))
        return
    print_record(machine_record())
    for method in METHODS:
        check(method)
    print('all formulations agree with topk (values and gradients)')
    rows = []
    for side in args.sides:
        for classes in args.classes:
            # k = 8% of the area, as k=256 of the paper's 56x56 CAM.
            k = max(1, round(0.08 * side * side))
            print(f'\n## CAM {args.batch}x{classes}x{side}x{side}, k={k}',
                  flush=True)
            cam = torch.randn(
                args.batch, classes, side, side, requires_grad=True)
            times = interleaved(
                {m: fwd_bwd(m, cam, k)
                 for m in METHODS}, args.repeats)
            base = median(times['topk'])
            rows.append((side, classes, k, {
                m: (median(t) * 1e3, median(t) / base)
                for m, t in times.items()
            }))
    print()
    print('\n'.join(
        markdown_table(['CAM', 'classes', 'k'] +
                       [f'{m} ms (ratio)' for m in METHODS],
                       [[f'{side}x{side}', classes, k] +
                        [f'{ms:.1f} ({r:.2f})' for ms, r in res.values()]
                        for side, classes, k, res in rows])))
    batch, classes, side, k = 32, 1000, 56, 256
    print(f'\n## memory of pooling fwd+bwd at ImageNet scale: CAM '
          f'{batch}x{classes}x{side}x{side} float32, k={k}')
    print('| method | CAM (MiB) | peak added by pooling fwd+bwd (MiB) |')
    print('|---|---|---|')
    for method in METHODS:
        out = subprocess.run(
            [sys.executable, __file__, '--memory-child', method,
             str(batch), str(classes), str(side), str(k)],
            capture_output=True, text=True, cwd=ROOT, check=True).stdout
        mem = json.loads(out.strip().splitlines()[-1])
        print(f'| {method} | {mem["cam_mib"]:.0f} | '
              f'{mem["extra_mib"]:.0f} |', flush=True)
    print_record({'loadavg_end': ' '.join(
        f'{x:.2f}' for x in __import__('os').getloadavg())})


if __name__ == '__main__':
    main()
