"""The CAM's L1 loss, forward + backward: autograd against one fused pass.

With autograd, ``cam.abs().mean()`` runs abs, sgn, a multiplication and
the mean's expand-and-divide over the whole CAM (N x classes x H x W) in
backward. ``abs_mean``, which ``CAML1Loss`` uses, gives the same value and
gradient (``sgn(cam) / numel``) with one pass over the CAM in backward.
Round-robin timing at the CAM of ResNet-18 at 224x224 with 200 classes
(16 x 200 x 56 x 56).

Usage::

    .venv/bin/python benchmarks/bench_l1.py --repeats 9
"""
import argparse

import torch

from common import interleaved, machine_record, median, print_record
from topgap_mm.models.losses.cam_l1_loss import abs_mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=9)
    args = parser.parse_args()
    print_record(machine_record())
    cam = torch.randn(16, 200, 56, 56, requires_grad=True)

    def autograd_l1():
        cam.grad = None
        cam.abs().mean().backward()

    def fused_l1():
        cam.grad = None
        abs_mean(cam).backward()

    autograd_l1()
    ref = cam.grad.clone()
    fused_l1()
    torch.testing.assert_close(cam.grad, ref)
    times = interleaved({'autograd': autograd_l1, 'fused': fused_l1},
                        args.repeats)
    base = median(times['autograd'])
    print('\n| L1 on 16x200x56x56 | median ms | ratio |\n|---|---|---|')
    for name, values in times.items():
        print(f'| {name} | {median(values) * 1e3:.1f} | '
              f'{median(values) / base:.2f} |')


if __name__ == '__main__':
    main()
