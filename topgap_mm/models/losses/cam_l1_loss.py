"""The sparsity term of the Top-GAP loss (Eq. 1 of the paper)."""
import torch
import torch.nn as nn
from torch.autograd.function import once_differentiable

from mmpretrain.registry import MODELS


class _AbsMean(torch.autograd.Function):
    """``x.abs().mean()`` with a backward of one pass over ``x``.

    Autograd's backward of ``abs().mean()`` makes four passes over the CAM
    (expand, divide, sgn, multiply), and on a CUB-sized batch of CAMs
    (16 x 200 x 56 x 56) that costs about as much as a backbone layer; the
    gradient is ``sgn(x) * grad / numel`` in one pass.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.abs().mean()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        x, = ctx.saved_tensors
        return torch.sgn(x).mul_(grad / x.numel())


def abs_mean(x: torch.Tensor) -> torch.Tensor:
    """``mean(|x|)`` over all elements, with a one-pass backward."""
    return _AbsMean.apply(x)


@MODELS.register_module()
class CAML1Loss(nn.Module):
    """L1 penalty on class activation maps.

    The paper writes ``lambda * ||X||_1`` and finds ``lambda = 1``
    sufficient. A sum over a CUB-sized CAM (200 x 56 x 56 values) would
    outweigh the cross-entropy by four orders of magnitude at that weight,
    so this loss takes the **mean** of the absolute values over every
    element of the batch of CAMs (N x C x H x W). With that reading
    ``loss_weight=1.0`` balances the two terms across CAM sizes and class
    counts, which is what "lambda = 1 is sufficient" needs to hold.

    Args:
        loss_weight (float): The weight lambda. Defaults to 1.0.

    Examples:
        >>> import torch
        >>> cam = torch.arange(8.).view(1, 2, 2, 2) - 4  # values -4 ... 3
        >>> CAML1Loss(loss_weight=1.0)(cam)  # the mean of |cam|
        tensor(2.)
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        if loss_weight < 0:
            raise ValueError(
                f'`loss_weight` of CAML1Loss must be >= 0, got {loss_weight}.')
        self.loss_weight = loss_weight

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        """Compute ``loss_weight * mean(|cam|)``.

        Args:
            cam (torch.Tensor): CAMs of any shape, usually (N, C, H, W).

        Returns:
            torch.Tensor: A scalar loss.
        """
        return self.loss_weight * abs_mean(cam)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
