"""An attack-strength audit that looks for gradient masking.

A defence that only hides its gradients looks robust to gradient attacks
and falls to black-box, transfer or adaptive ones (Athalye et al. 2018;
Carlini et al. 2019, "On Evaluating Adversarial Robustness"). Top-GAP's
top-k pooling is close to k-WTA, whose robustness was exactly that
(Tramer et al. 2020). :func:`run_audit` runs, at one L-inf radius, a
one-step attack, stronger PGD (more steps, restarts), PGD on a margin
loss, a black-box Square attack, transfer from a standard twin, an
adaptive attack through a smooth surrogate of top-k pooling and,
optionally, the original AutoAttack; then an epsilon sweep. A sample
counts as robust only if it is classified correctly clean and under every
attack at the audit's radius. Flags mark the usual signs of masking.
"""
import contextlib
import dataclasses
import math
from typing import Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn

from ...cam import is_topgap_model
from ...models.pixel_space import PixelSpaceModel
from ...models.utils.top_gap import TopGAP, resolve_k
from .attacks import (_torchattacks, batched, check_eps, check_images, fgsm,
                      input_gradient, pgd, predict)

#: Attack kinds, used to decide the flags.
ONE_STEP, WHITE_BOX, BLACK_BOX, TRANSFER, ADAPTIVE, ENSEMBLE = (
    'one-step', 'white-box', 'black-box', 'transfer', 'adaptive', 'ensemble')
SURROGATES = ('gap', 'soft_topk')


class SmoothTopGAPBackward(nn.Module):
    """Exact Top-GAP forward, a smooth surrogate's gradient backward (BPDA).

    The output is ``exact.detach() + (soft - soft.detach())``: its value is
    the exact Top-GAP score bit for bit (``soft - soft.detach()`` is 0), and
    its gradient is the surrogate's. Surrogates:

    - ``'gap'``: the mean over all positions, so every position of the CAM
      receives gradient, not only the k selected ones.
    - ``'soft_topk'``: a sigmoid-weighted mean
      ``sum(w * cam) / sum(w)`` with ``w = sigmoid((cam - t) / T)``, ``t``
      the k-th largest value of the channel and ``T = temperature *
      std(cam)`` (both without gradient): about k positions get weight
      near 1, and positions just below the cut still receive gradient, so
      the attack can see which positions would enter the top k.

    Args:
        pool (TopGAP): The head's exact pooling.
        surrogate (str): ``'gap'`` or ``'soft_topk'``.
        temperature (float): Width of the soft cut in channel standard
            deviations (``'soft_topk'`` only).
    """

    def __init__(self,
                 pool: TopGAP,
                 surrogate: str = 'soft_topk',
                 temperature: float = 0.5):
        super().__init__()
        if surrogate not in SURROGATES:
            raise ValueError(f'`surrogate` must be one of {SURROGATES}, got '
                             f'{surrogate!r}.')
        if temperature <= 0:
            raise ValueError(f'`temperature` must be positive, got '
                             f'{temperature}.')
        self.pool = pool
        self.surrogate = surrogate
        self.temperature = temperature

    def soft(self, cam: torch.Tensor) -> torch.Tensor:
        """The surrogate pooling of (N, C, H, W) maps, (N, C) out."""
        flat = cam.flatten(2)
        if self.surrogate == 'gap':
            return flat.mean(dim=2)
        num = resolve_k(self.pool.k, *cam.shape[-2:])
        with torch.no_grad():
            cut = flat.topk(num, dim=2).values[..., -1:]
            width = self.temperature * flat.std(dim=2, keepdim=True) + 1e-12
        weights = torch.sigmoid((flat - cut) / width)
        return (weights * flat).sum(dim=2) / weights.sum(dim=2)

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        soft = self.soft(cam)
        return self.pool(cam).detach() + (soft - soft.detach())


@contextlib.contextmanager
def smooth_top_gap_backward(model: nn.Module,
                            surrogate: str = 'soft_topk',
                            temperature: float = 0.5) -> Iterator[None]:
    """Swap a Top-GAP head's pooling for :class:`SmoothTopGAPBackward`.

    The logits stay exact inside the context; only their gradient changes.
    The original pooling is put back on exit, also after an error.

    Args:
        model (nn.Module): A classifier whose ``head.pool`` is a
            :class:`TopGAP`.
        surrogate (str): See :class:`SmoothTopGAPBackward`.
        temperature (float): See :class:`SmoothTopGAPBackward`.

    Raises:
        ValueError: If the model has no Top-GAP head.
    """
    head = getattr(model, 'head', None)
    pool = getattr(head, 'pool', None)
    if not isinstance(pool, TopGAP):
        raise ValueError('The adaptive attack needs a model whose '
                         '`head.pool` is TopGAP (a TopGAPClsHead).')
    head.pool = SmoothTopGAPBackward(pool, surrogate, temperature)
    try:
        yield
    finally:
        head.pool = pool


def bpda_skip_note(model: nn.Module) -> Optional[str]:
    """Why the adaptive (BPDA) attack does not apply to ``model``, or None
    where it does: it smooths the backward of :class:`TopGAP` pooling, so
    it needs a Top-GAP head (:func:`is_topgap_model`) that pools with it.
    """
    if not is_topgap_model(model):
        return ('No Top-GAP head: the adaptive (BPDA) attack does not '
                'apply.')
    pool = getattr(model.head, 'pool', None)
    if isinstance(pool, TopGAP):
        return None
    return (f'The Top-GAP head pools its CAM with {type(pool).__name__}, '
            'not TopGAP: the adaptive (BPDA) attack, a smooth backward of '
            'top-k pooling, does not apply.')


@dataclasses.dataclass
class AuditConfig:
    """What the audit runs. The defaults fit a few hundred small images on
    a CPU; raise ``pgd_steps``, ``restarts`` and ``square_queries`` on a GPU.

    Args:
        eps (float): L-inf radius of the audit on [0, 1] pixels.
        pgd_steps (int): Steps of the strong PGD attacks (CE, margin,
            transfer, adaptive).
        restarts (int): Random restarts of the strong PGD attacks.
        square_queries (int): Queries of the Square attack.
        eps_list (Sequence[float]): Radii of the sweep, run in increasing
            order until accuracy reaches 0.
        sweep_steps (int): PGD (margin loss) steps at each sweep radius.
        surrogates (Sequence[str]): Backward surrogates of the adaptive
            attack (Top-GAP heads only).
        autoattack (bool): Also run the original AutoAttack (standard
            version) from the ``pyautoattack`` package, if installed.
        batch_size (int): Images attacked together.
        min_gap (int): Two attacks' accuracies differ for the flags only if
            they differ by at least this many samples and by 1% of the
            samples, so that a single lucky sample raises no flag.
        seed (int): Seed of random starts and Square.
    """
    eps: float = 8 / 255
    pgd_steps: int = 50
    restarts: int = 3
    square_queries: int = 1000
    eps_list: Sequence[float] = (1 / 255, 2 / 255, 4 / 255, 8 / 255,
                                 16 / 255, 32 / 255, 64 / 255, 128 / 255)
    sweep_steps: int = 20
    surrogates: Sequence[str] = SURROGATES
    autoattack: bool = False
    batch_size: int = 64
    min_gap: int = 2
    seed: int = 0

    def __post_init__(self):
        check_eps(self.eps)
        self.eps_list = sorted(
            check_eps(e, 'eps_list') for e in self.eps_list)
        for name in ('pgd_steps', 'restarts', 'square_queries',
                     'sweep_steps', 'batch_size', 'min_gap'):
            if getattr(self, name) < 1:
                raise ValueError(f'`{name}` must be positive, got '
                                 f'{getattr(self, name)}.')
        for surrogate in self.surrogates:
            if surrogate not in SURROGATES:
                raise ValueError(f'`surrogates` must be among {SURROGATES}, '
                                 f'got {surrogate!r}.')


def autoattack_available() -> bool:
    """Whether the original AutoAttack code (``pyautoattack``) imports."""
    try:
        import pyautoattack  # noqa: F401
    except ImportError:
        return False
    return True


def _run_autoattack(model: PixelSpaceModel, images: torch.Tensor,
                    labels: torch.Tensor, eps: float, num_classes: int,
                    batch_size: int, seed: int) -> torch.Tensor:
    from pyautoattack import AutoAttack
    attack = AutoAttack(
        model, eps=eps, version='standard', device=images.device, seed=seed)
    # The standard version targets the 9 most likely other classes; with
    # fewer classes the original code asks to lower the number of targets.
    attack.apgd_targeted.n_target_classes = min(9, num_classes - 1)
    attack.fab.n_target_classes = min(9, num_classes - 1)
    adversarial, _ = attack.run_standard_evaluation(
        images, labels, batch_size=batch_size)
    return adversarial


def _progress(total: int, enabled: bool):
    if not enabled:
        return contextlib.nullcontext(None)
    from tqdm import tqdm
    return tqdm(total=total, desc='robustness audit', unit='attack')


def _beats(better: torch.Tensor, worse: torch.Tensor, min_gap: int) -> bool:
    """Whether the attack with per-sample correctness ``better`` leaves
    clearly fewer correct samples than the one with ``worse``."""
    gap = int(worse.sum()) - int(better.sum())
    return gap >= max(min_gap, math.ceil(0.01 * len(better)))


def run_audit(model: nn.Module,
              images: torch.Tensor,
              labels: torch.Tensor,
              twin: Optional[nn.Module] = None,
              cfg: Optional[AuditConfig] = None,
              progress: bool = True) -> dict:
    """Audit a classifier's L-inf robustness on a set of images.

    Args:
        model (nn.Module): The MMPretrain classifier (with a
            ``ClsDataPreprocessor``) to audit.
        images (torch.Tensor): (N, 3, H, W) RGB images in [0, 1] (see
            :func:`~topgap_mm.models.to_pixel_space`).
        labels (torch.Tensor): (N, ) true labels.
        twin (nn.Module, optional): A standard classifier of the same
            inputs; transfer attacks are crafted on it.
        cfg (AuditConfig, optional): What to run; None uses the defaults.
        progress (bool): Show a progress bar.

    Returns:
        dict: ``num_samples``, ``eps``, ``clean_acc``; ``attacks``: name ->
        ``{kind, eps, acc}``; ``robust_acc`` (correct clean and under every
        attack at ``eps``) and ``strongest_attack`` (lowest accuracy);
        ``eps_sweep``: list of ``{eps, acc}``; ``zero_gradient_share``;
        ``flags``: name -> bool; ``notes``; ``per_sample``: name -> list of
        0/1 correctness (``robust`` included).
    """
    cfg = AuditConfig() if cfg is None else cfg
    check_images(images)
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f'Need as many labels as images (and at least one), '
                         f'got {len(images)} images and {len(labels)} '
                         f'labels.')
    pixel_model = PixelSpaceModel(model)
    device = pixel_model.mean.device
    images, labels = images.to(device), labels.to(device)
    twin_model = None if twin is None else PixelSpaceModel(twin)
    eps = cfg.eps
    notes: List[str] = []
    slices = batched(len(images), cfg.batch_size)

    def per_batch(attack) -> torch.Tensor:
        """Per-sample correctness of ``model`` under ``attack``."""
        return torch.cat([
            predict(pixel_model, attack(images[s], labels[s])) == labels[s]
            for s in slices
        ])

    steps, restarts, seed = cfg.pgd_steps, cfg.restarts, cfg.seed
    attacks = {
        'FGSM': (ONE_STEP, lambda x, y: fgsm(pixel_model, x, y, eps)),
        f'PGD-CE-{steps}x{restarts}': (
            WHITE_BOX, lambda x, y: pgd(
                pixel_model, x, y, eps, steps=steps, restarts=restarts,
                seed=seed)),
        f'PGD-margin-{steps}x{restarts}': (
            WHITE_BOX, lambda x, y: pgd(
                pixel_model, x, y, eps, steps=steps, restarts=restarts,
                loss='margin', seed=seed)),
    }
    square = _torchattacks().Square(
        pixel_model, norm='Linf', eps=eps, n_queries=cfg.square_queries,
        seed=seed)
    attacks[f'Square-{cfg.square_queries}'] = (BLACK_BOX, square)
    if twin_model is not None:
        attacks[f'transfer-PGD-{steps}x{restarts}'] = (
            TRANSFER, lambda x, y: pgd(
                pixel_model, x, y, eps, steps=steps, restarts=restarts,
                loss='margin', grad_model=twin_model, seed=seed))
    else:
        notes.append('No twin given: transfer attacks skipped.')
    adaptive = []
    skip_bpda = bpda_skip_note(model)
    if skip_bpda is None:
        for surrogate in cfg.surrogates:
            name = f'BPDA-{surrogate}-PGD-{steps}x{restarts}'
            adaptive.append(name)
            attacks[name] = (ADAPTIVE, _bpda(model, pixel_model, eps, steps,
                                             restarts, surrogate, seed))
    else:
        notes.append(skip_bpda)
    if cfg.autoattack and not autoattack_available():
        notes.append('AutoAttack requested but `pyautoattack` is not '
                     'installed (`pip install pyautoattack`); skipped.')

    results: Dict[str, dict] = {}
    per_sample: Dict[str, torch.Tensor] = {}
    total = 2 + len(attacks) + int(cfg.autoattack) + len(cfg.eps_list)
    with _progress(total, progress) as bar:

        def tick(name: str) -> None:
            if bar is not None:
                bar.set_postfix_str(name)
                bar.update()

        clean = torch.cat(
            [predict(pixel_model, images[s]) == labels[s] for s in slices])
        per_sample['clean'] = clean
        tick('clean')
        # The margin loss does not saturate on confident predictions, so a
        # zero gradient means the logits are locally constant, not just
        # that the softmax has saturated (which CE would report).
        zero = torch.cat([
            input_gradient(pixel_model, images[s], labels[s],
                           'margin').flatten(1).abs().amax(dim=1) == 0
            for s in slices
        ])
        tick('gradients')
        for name, (kind, attack) in attacks.items():
            per_sample[name] = per_batch(attack) & clean
            results[name] = dict(kind=kind, eps=eps)
            tick(name)
        if cfg.autoattack and autoattack_available():
            name = 'AutoAttack-standard (pyautoattack)'
            adversarial = _run_autoattack(pixel_model, images, labels, eps,
                                          _num_classes(pixel_model, images),
                                          cfg.batch_size, seed)
            per_sample[name] = (predict(pixel_model, adversarial)
                                == labels) & clean
            results[name] = dict(kind=ENSEMBLE, eps=eps)
            tick(name)
        sweep = []
        for sweep_eps in cfg.eps_list:
            correct = per_batch(lambda x, y: pgd(
                pixel_model, x, y, sweep_eps, steps=cfg.sweep_steps,
                loss='margin', seed=seed)) & clean
            sweep.append(
                dict(eps=sweep_eps, acc=correct.float().mean().item()))
            tick(f'sweep eps={sweep_eps:.4f}')
            if not correct.any():
                break

    for name in results:
        results[name]['acc'] = per_sample[name].float().mean().item()
    robust = clean.clone()
    for name in results:
        robust &= per_sample[name]
    per_sample['robust'] = robust
    strongest = min(results, key=lambda n: results[n]['acc'])

    def best_of(kind: str) -> Optional[torch.Tensor]:
        names = [n for n in results if results[n]['kind'] == kind]
        if not names:
            return None
        return per_sample[min(names, key=lambda n: per_sample[n].sum())]

    white = best_of(WHITE_BOX)
    gradient_based = [
        per_sample[n] for n in results
        if results[n]['kind'] in (ONE_STEP, WHITE_BOX)
    ]
    best_gradient = min(gradient_based, key=lambda c: int(c.sum()))
    flags = dict(
        one_step_beats_iterative=_beats(per_sample['FGSM'], white,
                                        cfg.min_gap),
        black_box_beats_white_box=_beats(
            best_of(BLACK_BOX), best_gradient, cfg.min_gap),
        transfer_beats_white_box=(twin_model is not None and _beats(
            best_of(TRANSFER), best_gradient, cfg.min_gap)),
        adaptive_beats_white_box=(bool(adaptive) and _beats(
            best_of(ADAPTIVE), white, cfg.min_gap)),
        no_zero_at_max_eps=sweep[-1]['acc'] > 0,
        zero_gradients=bool(zero.any()),
    )
    return dict(
        num_samples=len(images),
        eps=eps,
        clean_acc=clean.float().mean().item(),
        attacks=results,
        robust_acc=robust.float().mean().item(),
        strongest_attack=strongest,
        eps_sweep=sweep,
        zero_gradient_share=zero.float().mean().item(),
        flags=flags,
        notes=notes,
        per_sample={k: v.int().tolist()
                    for k, v in per_sample.items()})


@torch.no_grad()
def _num_classes(model: nn.Module, images: torch.Tensor) -> int:
    return model(images[:1]).shape[1]


def _bpda(model: nn.Module, pixel_model: PixelSpaceModel, eps: float,
          steps: int, restarts: int, surrogate: str, seed: int):
    """PGD (margin loss) whose gradients come through a smooth top-k."""

    def grad_model(x: torch.Tensor) -> torch.Tensor:
        with smooth_top_gap_backward(model, surrogate):
            return pixel_model(x)

    def attack(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return pgd(
            pixel_model,
            x,
            y,
            eps,
            steps=steps,
            restarts=restarts,
            loss='margin',
            grad_model=grad_model,
            seed=seed)

    return attack


FLAG_TEXT = dict(
    one_step_beats_iterative='FGSM beats iterative PGD: PGD is not '
    'following the loss (masked or noisy gradients).',
    black_box_beats_white_box='Square (black-box) beats every gradient '
    'attack: gradients are uninformative.',
    transfer_beats_white_box='Attacks crafted on the standard twin beat '
    'white-box attacks on the model itself.',
    adaptive_beats_white_box='PGD through a smooth top-k surrogate beats '
    'plain PGD: top-k pooling hides useful gradients.',
    no_zero_at_max_eps='Accuracy does not reach 0 at the largest radius: '
    'the attacks are too weak for this model.',
    zero_gradients='Some samples have an exactly zero input gradient of '
    'the margin loss.',
)


def format_report(report: dict, title: str = 'Robustness audit') -> str:
    """A markdown report (tables and flags) of :func:`run_audit`'s result.

    Args:
        report (dict): The result of :func:`run_audit`.
        title (str): Heading of the report.

    Returns:
        str: Markdown text, readable as plain text too.
    """
    eps = report['eps']
    lines = [
        f'# {title}', '',
        f'{report["num_samples"]} samples, L-inf eps = {eps:.5f} '
        f'({eps * 255:g}/255). Accuracies are fractions of all samples; '
        f'a sample is robust only if correct clean and under every attack.',
        '', '| attack | kind | accuracy |', '| --- | --- | --- |',
        f'| clean | - | {report["clean_acc"]:.4f} |'
    ]
    for name, row in report['attacks'].items():
        lines.append(f'| {name} | {row["kind"]} | {row["acc"]:.4f} |')
    lines += [
        f'| **all attacks (per-sample worst case)** | - | '
        f'**{report["robust_acc"]:.4f}** |', '',
        f'Strongest single attack: {report["strongest_attack"]}. '
        f'Share of samples with zero input gradient: '
        f'{report["zero_gradient_share"]:.4f}.', '',
        '## Epsilon sweep (PGD, margin loss)', '', '| eps | eps x 255 | '
        'accuracy |', '| --- | --- | --- |'
    ]
    lines += [
        f'| {row["eps"]:.5f} | {row["eps"] * 255:g} | {row["acc"]:.4f} |'
        for row in report['eps_sweep']
    ]
    lines += ['', '## Flags', '']
    raised = [name for name, on in report['flags'].items() if on]
    lines += [f'- **{name}**: {FLAG_TEXT[name]}' for name in raised]
    if not raised:
        lines.append('- none raised')
    if report['notes']:
        lines += ['', '## Notes', '']
        lines += [f'- {note}' for note in report['notes']]
    return '\n'.join(lines) + '\n'
