"""An attack-strength audit that looks for gradient masking.

A defence that only hides its gradients looks robust to gradient attacks
and falls to black-box, transfer or adaptive ones (Athalye et al. 2018;
Carlini et al. 2019, "On Evaluating Adversarial Robustness"). Top-GAP's
top-k pooling is close to k-WTA, whose robustness was exactly that
(Tramer et al. 2020). :func:`run_audit` runs, at one L-inf radius, a
one-step attack, stronger PGD (more steps, restarts), PGD on a margin
loss, a black-box Square attack, transfer from a standard twin, an
adaptive attack through a smooth surrogate of top-k pooling (see
:mod:`.bpda`) and, optionally, the original AutoAttack; then an epsilon
sweep. A sample counts as robust only if it is classified correctly clean
and under every attack at the audit's radius. Flags mark the usual signs
of masking.

The audit is three steps: :func:`build_attacks`, :func:`run_attacks` and
:func:`raise_flags`; :func:`format_report` writes the result as Markdown.
"""
import dataclasses
import math
from functools import partial, reduce
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from tqdm import tqdm

from ...models.pixel_space import PixelSpaceModel
from ...utils import markdown_table
from .attacks import (batched, build_attack, check_eps, check_images, fgsm,
                      input_gradient, pgd, predict)
from .bpda import SURROGATES, SmoothBackwardModel, bpda_skip_note

#: Attack kinds, used to decide the flags.
ONE_STEP, WHITE_BOX, BLACK_BOX, TRANSFER, ADAPTIVE, ENSEMBLE = (
    'one-step', 'white-box', 'black-box', 'transfer', 'adaptive', 'ensemble')

#: Report name of the original AutoAttack.
AUTOATTACK = 'AutoAttack-standard (pyautoattack)'

#: An attack: ``(images, labels) -> adversarial images``.
AttackFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


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


class AuditAttack(NamedTuple):
    """One attack of the audit at its radius.

    Args:
        kind (str): One of the attack kinds (``ONE_STEP``, ``WHITE_BOX``,
            ...), which decide the flags.
        attack (AttackFn): ``(images, labels) -> adversarial images``.
        batched (bool): Whether the audit feeds it ``batch_size`` images at
            a time; False for an attack that batches the images itself.
    """
    kind: str
    attack: AttackFn
    batched: bool = True


@dataclasses.dataclass
class AuditResults:
    """What :func:`run_attacks` measured.

    Args:
        attacks (dict): Attack name -> ``{kind, eps, acc}``, in run order.
        per_sample (dict): ``'clean'``, each attack's name and ``'robust'``
            -> (N, ) bool, correct clean (and under that attack; under
            every attack for ``'robust'``).
        eps_sweep (list[dict]): ``{eps, acc}`` per radius of the sweep.
        zero_gradient (torch.Tensor): (N, ) bool, whether the margin
            loss's input gradient is exactly zero.
    """
    attacks: Dict[str, dict]
    per_sample: Dict[str, torch.Tensor]
    eps_sweep: List[dict]
    zero_gradient: torch.Tensor


def autoattack_available() -> bool:
    """Whether the original AutoAttack code (``pyautoattack``) imports."""
    try:
        import pyautoattack  # noqa: F401
    except ImportError:
        return False
    return True


def _run_autoattack(model: PixelSpaceModel, images: torch.Tensor,
                    labels: torch.Tensor, eps: float, batch_size: int,
                    seed: int) -> torch.Tensor:
    from pyautoattack import AutoAttack
    num_classes = _num_classes(model, images)
    attack = AutoAttack(
        model, eps=eps, version='standard', device=images.device, seed=seed)
    # The standard version targets the 9 most likely other classes; with
    # fewer classes the original code asks to lower the number of targets.
    attack.apgd_targeted.n_target_classes = min(9, num_classes - 1)
    attack.fab.n_target_classes = min(9, num_classes - 1)
    adversarial, _ = attack.run_standard_evaluation(
        images, labels, batch_size=batch_size)
    return adversarial


@torch.no_grad()
def _num_classes(model: nn.Module, images: torch.Tensor) -> int:
    return model(images[:1]).shape[1]


def _strong_pgd(pixel_model: PixelSpaceModel, cfg: AuditConfig,
                **kwargs) -> AttackFn:
    """PGD with the audit's radius, steps, restarts and seed."""
    return partial(
        pgd, pixel_model, eps=cfg.eps, steps=cfg.pgd_steps,
        restarts=cfg.restarts, seed=cfg.seed, **kwargs)


def build_attacks(
        model: nn.Module, pixel_model: PixelSpaceModel,
        twin_model: Optional[PixelSpaceModel],
        cfg: AuditConfig) -> Tuple[Dict[str, AuditAttack], List[str]]:
    """The attacks of the audit at ``cfg.eps``, by report name.

    Args:
        model (nn.Module): The audited classifier, for the BPDA attack.
        pixel_model (PixelSpaceModel): The audited classifier on [0, 1]
            images.
        twin_model (PixelSpaceModel, optional): A standard classifier to
            craft transfer attacks on; None skips them.
        cfg (AuditConfig): What to run.

    Returns:
        tuple[dict[str, AuditAttack], list[str]]: The attacks, in the
        report's order, and a note for each kind of attack skipped.
    """
    tag = f'{cfg.pgd_steps}x{cfg.restarts}'
    square = dict(
        type='Square', eps=cfg.eps, n_queries=cfg.square_queries,
        seed=cfg.seed)
    attacks = {
        'FGSM':
        AuditAttack(ONE_STEP, partial(fgsm, pixel_model, eps=cfg.eps)),
        f'PGD-CE-{tag}':
        AuditAttack(WHITE_BOX, _strong_pgd(pixel_model, cfg)),
        f'PGD-margin-{tag}':
        AuditAttack(WHITE_BOX, _strong_pgd(pixel_model, cfg, loss='margin')),
        f'Square-{cfg.square_queries}':
        AuditAttack(BLACK_BOX, build_attack(square, pixel_model)),
    }
    notes = []
    if twin_model is not None:
        attacks[f'transfer-PGD-{tag}'] = AuditAttack(
            TRANSFER,
            _strong_pgd(
                pixel_model, cfg, loss='margin', grad_model=twin_model))
    else:
        notes.append('No twin given: transfer attacks skipped.')
    skip_bpda = bpda_skip_note(model)
    if skip_bpda is None:
        for surrogate in cfg.surrogates:
            smooth = SmoothBackwardModel(pixel_model, surrogate)
            attacks[f'BPDA-{surrogate}-PGD-{tag}'] = AuditAttack(
                ADAPTIVE,
                _strong_pgd(
                    pixel_model, cfg, loss='margin', grad_model=smooth))
    else:
        notes.append(skip_bpda)
    if cfg.autoattack and autoattack_available():
        # The original code batches the images itself, and seeds once for
        # the whole set.
        attacks[AUTOATTACK] = AuditAttack(
            ENSEMBLE,
            partial(
                _run_autoattack, pixel_model, eps=cfg.eps,
                batch_size=cfg.batch_size, seed=cfg.seed),
            batched=False)
    elif cfg.autoattack:
        notes.append('AutoAttack requested but `pyautoattack` is not '
                     'installed (`pip install pyautoattack`); skipped.')
    return attacks, notes


def _tick(bar: tqdm, name: str) -> None:
    """Count one step of the audit done, ``name`` the step."""
    bar.set_postfix_str(name)
    bar.update()


def correct_under(pixel_model: PixelSpaceModel,
                  images: torch.Tensor,
                  labels: torch.Tensor,
                  batch_size: int,
                  attack: Optional[AttackFn] = None) -> torch.Tensor:
    """Per-sample correctness of ``pixel_model``, clean or under an attack.

    Args:
        pixel_model (PixelSpaceModel): The audited classifier.
        images (torch.Tensor): (N, 3, H, W) images in [0, 1].
        labels (torch.Tensor): (N, ) true labels.
        batch_size (int): Images attacked and predicted together.
        attack (AttackFn, optional): None predicts the clean images.

    Returns:
        torch.Tensor: (N, ) bool, whether the prediction is the label.
    """
    correct = []
    for s in batched(len(images), batch_size):
        inputs = images[s] if attack is None else attack(images[s], labels[s])
        correct.append(predict(pixel_model, inputs) == labels[s])
    return torch.cat(correct)


def zero_gradient(pixel_model: PixelSpaceModel, images: torch.Tensor,
                  labels: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Which samples have an exactly zero input gradient of the margin loss.

    The margin loss does not saturate on confident predictions, so a zero
    gradient means the logits are locally constant, not just that the
    softmax has saturated (which cross-entropy would report).

    Args:
        pixel_model (PixelSpaceModel): The audited classifier.
        images (torch.Tensor): (N, 3, H, W) images in [0, 1].
        labels (torch.Tensor): (N, ) true labels.
        batch_size (int): Images differentiated together.

    Returns:
        torch.Tensor: (N, ) bool.
    """
    return torch.cat([
        input_gradient(pixel_model, images[s], labels[s],
                       'margin').flatten(1).abs().amax(dim=1) == 0
        for s in batched(len(images), batch_size)
    ])


def run_attacks(pixel_model: PixelSpaceModel,
                attacks: Dict[str, AuditAttack],
                images: torch.Tensor,
                labels: torch.Tensor,
                cfg: AuditConfig,
                progress: bool = True) -> AuditResults:
    """Run the audit's attacks, then the eps sweep, and measure them.

    An attack counts a sample as correct only if it is correct clean too,
    so the per-sample worst case (``'robust'``) is the samples correct
    under every attack. The sweep runs PGD on the margin loss at each
    radius of ``cfg.eps_list`` in increasing order and stops at the first
    radius where no sample is left correct.

    Args:
        pixel_model (PixelSpaceModel): The audited classifier.
        attacks (dict[str, AuditAttack]): From :func:`build_attacks`.
        images (torch.Tensor): (N, 3, H, W) images in [0, 1], on the
            model's device.
        labels (torch.Tensor): (N, ) true labels, on the model's device.
        cfg (AuditConfig): The audit's radius, sweep and batch size.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        AuditResults: The accuracies and per-sample correctness.
    """
    size = cfg.batch_size
    total = 2 + len(attacks) + len(cfg.eps_list)
    with tqdm(total=total, desc='robustness audit', unit='attack',
              disable=not progress) as bar:
        clean = correct_under(pixel_model, images, labels, size)
        _tick(bar, 'clean')
        zero = zero_gradient(pixel_model, images, labels, size)
        _tick(bar, 'gradients')
        per_sample = dict(clean=clean)
        for name, entry in attacks.items():
            per_sample[name] = clean & correct_under(
                pixel_model, images, labels,
                size if entry.batched else len(images), entry.attack)
            _tick(bar, name)
        sweep = []
        for eps in cfg.eps_list:
            attack = partial(
                pgd, pixel_model, eps=eps, steps=cfg.sweep_steps,
                loss='margin', seed=cfg.seed)
            correct = clean & correct_under(pixel_model, images, labels,
                                            size, attack)
            sweep.append(dict(eps=eps, acc=_accuracy(correct)))
            _tick(bar, f'sweep eps={eps:.4f}')
            if not correct.any():
                break
    per_sample['robust'] = reduce(torch.logical_and, per_sample.values())
    results = {
        name: dict(kind=entry.kind, eps=cfg.eps,
                   acc=_accuracy(per_sample[name]))
        for name, entry in attacks.items()
    }
    return AuditResults(results, per_sample, sweep, zero)


def _accuracy(correct: torch.Tensor) -> float:
    return correct.float().mean().item()


def _beats(better: torch.Tensor, worse: torch.Tensor, min_gap: int) -> bool:
    """Whether the attack with per-sample correctness ``better`` leaves
    clearly fewer correct samples than the one with ``worse``."""
    gap = int(worse.sum()) - int(better.sum())
    return gap >= max(min_gap, math.ceil(0.01 * len(better)))


def _strongest(results: AuditResults,
               kinds: Sequence[str]) -> Optional[torch.Tensor]:
    """Per-sample correctness under the strongest attack of ``kinds``, or
    None where the audit ran none of them."""
    correct = [
        results.per_sample[name] for name, row in results.attacks.items()
        if row['kind'] in kinds
    ]
    return min(correct, key=lambda c: int(c.sum()), default=None)


def _kind_beats(results: AuditResults, kind: str, reference: torch.Tensor,
                min_gap: int) -> bool:
    """Whether the strongest attack of ``kind`` clearly beats the attack
    of per-sample correctness ``reference``; False if none of ``kind``
    ran."""
    best = _strongest(results, [kind])
    return best is not None and _beats(best, reference, min_gap)


def raise_flags(results: AuditResults, min_gap: int) -> Dict[str, bool]:
    """The audit's signs of gradient masking, see :data:`FLAG_TEXT`.

    Args:
        results (AuditResults): From :func:`run_attacks`.
        min_gap (int): See :class:`AuditConfig`.

    Returns:
        dict[str, bool]: Flag name -> raised, in :data:`FLAG_TEXT`'s order.
    """
    white = _strongest(results, [WHITE_BOX])
    gradient = _strongest(results, [ONE_STEP, WHITE_BOX])
    return dict(
        one_step_beats_iterative=_kind_beats(results, ONE_STEP, white,
                                             min_gap),
        black_box_beats_white_box=_kind_beats(results, BLACK_BOX, gradient,
                                              min_gap),
        transfer_beats_white_box=_kind_beats(results, TRANSFER, gradient,
                                             min_gap),
        adaptive_beats_white_box=_kind_beats(results, ADAPTIVE, white,
                                             min_gap),
        no_zero_at_max_eps=results.eps_sweep[-1]['acc'] > 0,
        zero_gradients=bool(results.zero_gradient.any()),
    )


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
    attacks, notes = build_attacks(model, pixel_model, twin_model, cfg)
    results = run_attacks(pixel_model, attacks, images, labels, cfg, progress)
    accs = results.attacks
    return dict(
        num_samples=len(images),
        eps=cfg.eps,
        clean_acc=_accuracy(results.per_sample['clean']),
        attacks=accs,
        robust_acc=_accuracy(results.per_sample['robust']),
        strongest_attack=min(accs, key=lambda name: accs[name]['acc']),
        eps_sweep=results.eps_sweep,
        zero_gradient_share=_accuracy(results.zero_gradient),
        flags=raise_flags(results, cfg.min_gap),
        notes=notes,
        per_sample={
            name: correct.int().tolist()
            for name, correct in results.per_sample.items()
        })


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
    attack_rows = [['clean', '-', f'{report["clean_acc"]:.4f}']]
    attack_rows += [[name, row['kind'], f'{row["acc"]:.4f}']
                    for name, row in report['attacks'].items()]
    attack_rows.append([
        '**all attacks (per-sample worst case)**', '-',
        f'**{report["robust_acc"]:.4f}**'
    ])
    sweep_rows = [[f'{row["eps"]:.5f}', f'{row["eps"] * 255:g}',
                   f'{row["acc"]:.4f}'] for row in report['eps_sweep']]
    lines = [
        f'# {title}', '',
        f'{report["num_samples"]} samples, L-inf eps = {eps:.5f} '
        f'({eps * 255:g}/255). Accuracies are fractions of all samples; '
        f'a sample is robust only if correct clean and under every attack.',
        '', *markdown_table(['attack', 'kind', 'accuracy'], attack_rows), '',
        f'Strongest single attack: {report["strongest_attack"]}. '
        f'Share of samples with zero input gradient: '
        f'{report["zero_gradient_share"]:.4f}.', '',
        '## Epsilon sweep (PGD, margin loss)', '',
        *markdown_table(['eps', 'eps x 255', 'accuracy'], sweep_rows),
        '', '## Flags', ''
    ]
    raised = [name for name, on in report['flags'].items() if on]
    lines += [f'- **{name}**: {FLAG_TEXT[name]}' for name in raised]
    if not raised:
        lines.append('- none raised')
    if report['notes']:
        lines += ['', '## Notes', '']
        lines += [f'- {note}' for note in report['notes']]
    return '\n'.join(lines) + '\n'
