"""The study's questions answered in words, from the numbers of report.json.

Each question (accuracy, localisation, faithfulness, robustness, accuracy
out of distribution) rests on a few metrics. Its verdict names each
metric's paired difference with its confidence interval, says "no
difference" where the interval includes 0, and says that a difference
resting on a run that did not converge describes the training budget, not
the models.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .convergence import UNKNOWN, worst_verdict

#: Model-free maps among the baselines: a localisation score is worth what
#: these reach without looking at the image.
NO_IMAGE_BASELINES = ('center_gaussian', 'uniform')


@dataclass(frozen=True)
class Measure:
    """A metric a question rests on.

    Attributes:
        key (str): Its name in report.json (with :attr:`prefix`, the
            start of the names).
        label (str): Short name for the page.
        higher_is_better (bool): Direction of "ahead".
        scale (float): Factor from report.json's value to the shown one.
        unit (str): Unit of the shown value (``'points'`` for percent).
        prefix (bool): Match every key starting with :attr:`key` (the
            attacks of a robustness metric), except :attr:`exclude`.
        exclude (tuple[str]): Keys a prefix does not match.
    """
    key: str
    label: str
    higher_is_better: bool = True
    scale: float = 1.0
    unit: str = 'points'
    prefix: bool = False
    exclude: Tuple[str, ...] = ()

    def keys(self, rows: Dict[str, Dict]) -> List[str]:
        """The keys of ``rows`` this measure matches, in order."""
        if not self.prefix:
            return [self.key] if self.key in rows else []
        return sorted(k for k in rows
                      if k.startswith(self.key) and k not in self.exclude)

    def label_of(self, key: str) -> str:
        """The shown name of a matched key."""
        return key[len(self.key):] if self.prefix else self.label


#: Question name -> the measures it rests on. Robust accuracy is stored as
#: a fraction, the other accuracies and the CAM scores in percent.
QUESTIONS: Dict[str, Tuple[Measure, ...]] = {
    'accuracy': (Measure('accuracy/top1', 'top-1 accuracy'), ),
    'localisation': (Measure('cam/iou@best_val_thr', 'CAM IoU'),
                     Measure('cam/pxap', 'PxAP')),
    'faithfulness': (Measure('faithfulness/deletion_auc', 'deletion AUC',
                             higher_is_better=False, unit=''),
                     Measure('faithfulness/insertion_auc', 'insertion AUC',
                             unit='')),
    'robustness': (Measure('acc/', 'robust accuracy', scale=100.0,
                           prefix=True, exclude=('acc/clean', )), ),
}

#: What each convergence verdict means for the difference that rests on it.
CAVEATS = {
    'converged': 'every run behind it converged',
    'budget-bound': 'budget-bound: at least one run behind it had not '
    'converged, so it describes this training budget, not the models',
    'failed': 'failed: at least one run behind it stayed near chance, so '
    'it is no finding about the models',
    UNKNOWN: 'convergence unknown: a run behind it has no val curve, so '
    'it may describe the training budget, not the models',
}


def is_ood(split: str) -> bool:
    """Whether ``split`` is an out-of-distribution test split, whose
    accuracy answers the OOD question."""
    return 'ood' in split.lower()


def fmt(value: float, measure: Measure) -> str:
    """A value of ``measure`` as shown: two decimals for points, three for
    fractions."""
    value = value * measure.scale
    return f'{value:.2f}' if measure.unit else f'{value:.3f}'


@dataclass
class Finding:
    """One metric's paired difference, read.

    Attributes:
        sentence (str): The difference in words, with its interval.
        significant (bool): Whether its interval excludes 0.
        convergence (str): The worst verdict of the runs behind it.
    """
    sentence: str
    significant: bool
    convergence: str


def peer_sides(peer: str) -> Tuple[Tuple[str, str], ...]:
    """A peer's differences as report.json keeps them under
    ``peer_differences[peer]``: each key with its label, Top-GAP minus the
    peer and the peer minus the twin."""
    return (('topgap', f'Top-GAP - {peer}'), ('twin', f'{peer} - twin'))


def read_difference(diff: Optional[Dict], measure: Measure, key: str,
                    confidence: float, ahead: str = 'Top-GAP',
                    behind: str = 'the twin') -> Optional[Finding]:
    """One paired difference (``ahead`` minus ``behind``) in words.

    Args:
        diff (dict, optional): A ``difference`` or
            ``difference_from_first`` of report.json.
        measure (Measure): What the metric is.
        key (str): The metric's key.
        confidence (float): The intervals' level.
        ahead (str): The model the difference starts from.
        behind (str): The model subtracted.

    Returns:
        Finding | None: None when there is no difference to read.
    """
    if not diff:
        return None
    label = measure.label_of(key)
    unit = f' {measure.unit}' if measure.unit else ''
    mean = fmt(diff['mean'], measure)
    convergence = diff.get('convergence', UNKNOWN)
    if diff['n'] < 2 or 'ci_low' not in diff:
        return Finding(
            f'{label}: {ahead} minus {behind} {mean}{unit} on '
            'one seed, no interval', False, convergence)
    low, high = diff['ci_low'], diff['ci_high']
    interval = (f'{mean}{unit} [{fmt(low, measure)}, {fmt(high, measure)}]'
                f' ({round(100 * confidence)}% CI, {diff["n"]} seeds)')
    level = f'{100 - round(100 * confidence)}%'
    if low <= 0 <= high:
        return Finding(
            f'{label}: no difference at the {level} level, '
            f'{ahead} minus {behind} {interval}', False, convergence)
    better = (diff['mean'] > 0) == measure.higher_is_better
    return Finding(
        f'{label}: {ahead if better else behind} ahead at the '
        f'{level} level, {ahead} minus {behind} {interval}', True,
        convergence)


def means_note(row: Dict, measure: Measure) -> str:
    """The models' means on a metric (Top-GAP, the twin, any peers) and
    those of the maps that look at no image, to read a difference by
    (empty where there are none)."""
    parts = [
        f'{name} {fmt(row[model]["mean"], measure)}'
        for model, name in (('topgap', 'Top-GAP'), ('twin', 'twin'))
        if row.get(model)
    ]
    parts += [
        f'{peer} {fmt(summary["mean"], measure)}'
        for peer, summary in row.get('peers', {}).items()
    ]
    base = row.get('baselines', {})
    parts += [
        f'{method} {fmt(base[method]["mean"], measure)}'
        for method in NO_IMAGE_BASELINES if method in base
    ]
    return f'; means: {", ".join(parts)}' if parts else ''


def no_image_note(row: Dict, measure: Measure, confidence: float) -> str:
    """Where Top-GAP is not ahead of a map that looks at no image: such a
    map is the same on every seed, so Top-GAP is ahead of it only where
    Top-GAP's interval lies wholly on the better side of its value (empty
    where it is, or where there is no interval).

    Examples:
        >>> row = dict(topgap=dict(mean=31.7, ci_low=25.9, ci_high=37.5),
        ...            baselines=dict(center_gaussian=dict(mean=30.8)))
        >>> no_image_note(row, Measure('cam/pxap', 'PxAP'), 0.95)
        '; not ahead of center_gaussian (30.80), a map that looks at no \
image, at the 5% level'
    """
    topgap = row.get('topgap') or {}
    if 'ci_low' not in topgap:
        return ''
    behind = []
    for method in NO_IMAGE_BASELINES:
        base = row.get('baselines', {}).get(method)
        if base is None:
            continue
        ahead = (topgap['ci_low'] > base['mean'] if measure.higher_is_better
                 else topgap['ci_high'] < base['mean'])
        if not ahead:
            behind.append(f'{method} ({fmt(base["mean"], measure)})')
    if not behind:
        return ''
    level = f'{100 - round(100 * confidence)}%'
    return (f'; not ahead of {" or ".join(behind)}, a map that looks at no '
            f'image, at the {level} level')


def question_verdicts(entry: Dict, split: str, confidence: float,
                      pair: str, first: Optional[str] = None
                      ) -> List[Dict]:
    """A verdict per question of one pair on one split.

    Args:
        entry (dict): The pair's entry of report.json.
        split (str): The test split.
        confidence (float): The intervals' level.
        pair (str): The pair's name.
        first (str, optional): The first pair's name, when ``pair`` is
            another: its Top-GAP model is then also compared with the first
            pair's (``difference_from_first``).

    Returns:
        list[dict]: Per question with metrics on this split: ``question``,
        ``findings`` (sentences, each with the means it is read by),
        ``convergence`` (the worst verdict behind them) and ``caveat``
        (what that verdict means).
    """
    rows = entry['splits'].get(split, {})
    verdicts = []
    for question, measures in QUESTIONS.items():
        title = ('accuracy out of distribution'
                 if question == 'accuracy' and is_ood(split) else question)
        findings, worst = [], []
        for measure in measures:
            for key in measure.keys(rows):
                row = rows[key]
                readings = [read_difference(
                    row.get('difference'), measure, key, confidence)]
                if first is not None:
                    readings.append(read_difference(
                        row.get('difference_from_first'), measure, key,
                        confidence, f'{pair} Top-GAP', f'{first} Top-GAP'))
                for peer, diffs in row.get('peer_differences', {}).items():
                    readings += [
                        read_difference(diffs.get('topgap'), measure, key,
                                        confidence, behind=peer),
                        read_difference(diffs.get('twin'), measure, key,
                                        confidence, ahead=peer)
                    ]
                for finding in filter(None, readings):
                    findings.append(dict(
                        text=finding.sentence + means_note(row, measure) +
                        no_image_note(row, measure, confidence),
                        significant=finding.significant,
                        convergence=finding.convergence))
                    worst.append(finding.convergence)
        if findings:
            convergence = worst_verdict(worst)
            verdicts.append(dict(
                question=title,
                findings=findings,
                convergence=convergence,
                caveat=CAVEATS.get(convergence, CAVEATS[UNKNOWN])))
    return verdicts
