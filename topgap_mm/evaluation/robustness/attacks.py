"""Attack primitives shared by the robustness metrics and the audit.

Every attack here works on [0, 1] RGB images through
:class:`~topgap_mm.models.PixelSpaceModel`, so epsilon is measured in pixel
space whatever normalisation the classifier's data preprocessor applies.
"""
import math
import numbers
from typing import Callable, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...models.pixel_space import PixelSpaceModel


def check_eps(eps: float, name: str = 'eps') -> float:
    """Check that an L-inf radius lies in [0, 1] (pixels are in [0, 1]).

    Args:
        eps (float): The radius.
        name (str): Name of the argument, for the error message.

    Returns:
        float: ``eps`` as a float.

    Raises:
        ValueError: If ``eps`` is not a real number in [0, 1].
    """
    if (isinstance(eps, bool) or not isinstance(eps, numbers.Real)
            or not 0.0 <= eps <= 1.0 or math.isnan(eps)):
        raise ValueError(
            f'`{name}` must be a number in [0, 1] (an L-inf radius on [0, 1] '
            f'pixels, e.g. 8/255), got {eps!r}.')
    return float(eps)


def check_images(images: torch.Tensor) -> None:
    """Raise unless ``images`` is a float (N, C, H, W) batch in [0, 1]."""
    if not torch.is_tensor(images) or images.dim() != 4:
        raise ValueError('Attacks expect images as a (N, C, H, W) tensor, got '
                         f'{getattr(images, "shape", type(images))}.')
    if not images.is_floating_point():
        raise ValueError(f'Attacks expect float images in [0, 1], got dtype '
                         f'{images.dtype}; divide uint8 images by 255.')
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError(
            f'Attacks expect pixels in [0, 1], got values in '
            f'[{images.min().item():.3f}, {images.max().item():.3f}].')


def eps_tag(eps: float) -> str:
    """``8/255`` -> ``'eps8'``: the radius in 0-255 pixel levels."""
    return f'eps{round(eps * 255, 3):g}'


def ce_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-sample cross-entropy (to be maximised)."""
    return F.cross_entropy(logits, labels, reduction='none')


def margin_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-sample CW margin ``max_{j != y} z_j - z_y`` (to be maximised).

    Unlike cross-entropy it does not saturate on confident predictions, so
    its gradient vanishes only where the logits are locally constant.
    """
    true = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.masked_fill(
        F.one_hot(labels, logits.shape[1]).bool(), float('-inf'))
    return others.max(dim=1).values - true


LOSSES: Dict[str, Callable] = dict(ce=ce_loss, margin=margin_loss)


def input_gradient(model: nn.Module,
                   images: torch.Tensor,
                   labels: torch.Tensor,
                   loss: str = 'ce') -> torch.Tensor:
    """Gradient of the summed per-sample loss w.r.t. the [0, 1] images.

    ``torch.autograd.grad`` is used instead of ``backward`` so that no
    parameter ``.grad`` of the evaluated model is touched.
    """
    images = images.detach().requires_grad_(True)
    with torch.enable_grad():
        value = LOSSES[loss](model(images), labels).sum()
        (grad, ) = torch.autograd.grad(value, images)
    return grad


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Predicted labels of [0, 1] images."""
    return model(images).argmax(dim=1)


def fgsm(model: nn.Module,
         images: torch.Tensor,
         labels: torch.Tensor,
         eps: float,
         region: Optional[torch.Tensor] = None) -> torch.Tensor:
    """One FGSM step, optionally restricted to a region of each image.

    ``torchattacks.FGSM`` perturbs every pixel; the attack distance needs
    the same step on a subset of pixels, so the step is written out here.

    Args:
        model (nn.Module): A model of [0, 1] images returning logits.
        images (torch.Tensor): (N, C, H, W) images in [0, 1].
        labels (torch.Tensor): (N, ) true labels.
        eps (float): Step size in [0, 1].
        region (torch.Tensor, optional): (N, 1, H, W) or (N, C, H, W)
            weights, 1 where pixels may change and 0 elsewhere. None
            perturbs every pixel.

    Returns:
        torch.Tensor: Perturbed images, clipped to [0, 1].
    """
    eps = check_eps(eps)
    check_images(images)
    step = eps * input_gradient(model, images, labels).sign()
    if region is not None:
        step = step * region
    return (images + step).clamp(0, 1).detach()


def pgd(model: nn.Module,
        images: torch.Tensor,
        labels: torch.Tensor,
        eps: float,
        alpha: Optional[float] = None,
        steps: int = 20,
        restarts: int = 1,
        loss: str = 'ce',
        random_start: bool = True,
        grad_model: Optional[nn.Module] = None,
        seed: int = 0) -> torch.Tensor:
    """L-inf PGD with random restarts and a choice of loss.

    torchattacks' PGD has neither restarts nor a margin loss; the audit
    needs both. Over the restarts, each sample keeps the first adversarial
    image that fools ``model``, otherwise the one of highest loss.

    Args:
        model (nn.Module): Model of [0, 1] images whose predictions count.
        images (torch.Tensor): (N, C, H, W) images in [0, 1].
        labels (torch.Tensor): (N, ) true labels.
        eps (float): L-inf radius in [0, 1].
        alpha (float, optional): Step size; None uses ``2.5 * eps / steps``
            (Madry et al.), which can cross the ball from any start.
        steps (int): Gradient steps per restart.
        restarts (int): Random restarts.
        loss (str): ``'ce'`` or ``'margin'`` (see :func:`margin_loss`).
        random_start (bool): Start from a uniform point of the ball.
        grad_model (nn.Module, optional): Model whose gradients drive the
            steps (a surrogate for transfer or BPDA); None uses ``model``.
        seed (int): Seed of the random starts.

    Returns:
        torch.Tensor: Adversarial images within ``eps`` of ``images`` and
        in [0, 1].
    """
    eps = check_eps(eps)
    check_images(images)
    if steps < 1 or restarts < 1:
        raise ValueError(f'`steps` ({steps}) and `restarts` ({restarts}) '
                         f'must be positive.')
    if loss not in LOSSES:
        raise ValueError(f'`loss` must be one of {sorted(LOSSES)}, got '
                         f'{loss!r}.')
    alpha = 2.5 * eps / steps if alpha is None else check_eps(alpha, 'alpha')
    grad_model = model if grad_model is None else grad_model
    images = images.detach()
    low, high = (images - eps).clamp(0, 1), (images + eps).clamp(0, 1)
    generator = torch.Generator().manual_seed(seed)

    best = images.clone()
    best_loss = torch.full_like(labels, float('-inf'), dtype=torch.float32)
    fooled = torch.zeros_like(labels, dtype=torch.bool)
    for _ in range(restarts):
        adv = images.clone()
        if random_start:
            noise = torch.rand(images.shape, generator=generator)
            adv = adv + (2 * noise.to(images.device) - 1) * eps
            adv = torch.max(torch.min(adv, high), low)
        for _ in range(steps):
            grad = input_gradient(grad_model, adv, labels, loss)
            adv = torch.max(torch.min(adv + alpha * grad.sign(), high), low)
        with torch.no_grad():
            logits = model(adv)
            value = LOSSES[loss](logits, labels).float()
            now_fooled = logits.argmax(dim=1) != labels
        take = ~fooled & (now_fooled | (value > best_loss))
        best[take] = adv[take]
        best_loss[take] = value[take]
        fooled |= now_fooled
    return best


def _torchattacks():
    # Imported lazily: torchattacks is only needed when attacks run, and its
    # import pulls in scipy and requests.
    try:
        import torchattacks
    except ImportError as e:
        raise ImportError(
            'The robustness metrics need torchattacks: '
            '`pip install --no-deps torchattacks==3.5.1`.') from e
    return torchattacks


#: Attacks buildable by name: how the metric key is made from the config.
ATTACK_NAMES = ('FGSM', 'PGD', 'APGD', 'Square')


def attack_key(cfg: dict) -> str:
    """Metric key of an attack config, e.g. ``'PGD-20_eps8'``.

    A ``name`` in the config is used verbatim.
    """
    if 'name' in cfg:
        return str(cfg['name'])
    kind = cfg['type']
    eps = cfg.get('eps', 8 / 255)
    if kind == 'PGD':
        kind = f'PGD-{cfg.get("steps", 10)}'
    elif kind == 'APGD':
        kind = f'APGD-{cfg.get("loss", "ce")}-{cfg.get("steps", 10)}'
    elif kind == 'Square':
        kind = f'Square-{cfg.get("n_queries", 5000)}'
    return f'{kind}_{eps_tag(eps)}'


def build_attack(cfg: dict, model: PixelSpaceModel):
    """Build a torchattacks L-inf attack from a config dict.

    Args:
        cfg (dict): ``type`` (one of :data:`ATTACK_NAMES`), ``eps`` and the
            attack's own arguments (``alpha``, ``steps``, ``n_queries``,
            ...); an optional ``name`` sets the metric key.
        model (PixelSpaceModel): The model to attack.

    Returns:
        torchattacks.Attack: The attack, called as ``attack(images,
        labels)``.
    """
    if not isinstance(cfg, dict) or cfg.get('type') not in ATTACK_NAMES:
        raise ValueError(f'An attack config must be a dict with `type` in '
                         f'{ATTACK_NAMES}, got {cfg!r}.')
    kwargs = {k: v for k, v in cfg.items() if k not in ('type', 'name')}
    kwargs['eps'] = check_eps(kwargs.get('eps', 8 / 255))
    if 'alpha' in kwargs:
        check_eps(kwargs['alpha'], 'alpha')
    if cfg['type'] == 'Square':
        kwargs.setdefault('norm', 'Linf')
        if kwargs['norm'] != 'Linf':
            raise ValueError('Only L-inf Square attacks are supported.')
    return getattr(_torchattacks(), cfg['type'])(model, **kwargs)


def batched(total: int, batch_size: int) -> List[slice]:
    """Slices that cut ``range(total)`` into batches."""
    return [
        slice(i, min(i + batch_size, total))
        for i in range(0, total, batch_size)
    ]
