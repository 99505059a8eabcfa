"""The study's answer as one HTML page: ``report.html`` and its images.

The page is built from report.json and the runs' files alone (no training),
with matplotlib for the figures and a Jinja2 template shipped with the
package (``templates/report.html.j2``, autoescaped). Its images go into
one folder beside it (:data:`ASSETS`), so the page opens from disk with no
server and no network.
"""
import os
import os.path as osp
import shutil
import subprocess
from typing import Dict, List, Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .convergence import UNKNOWN
from .figures import plot_forest
from .gallery import build_gallery
from .runner import ROOT
from .spec import Run, StudySpec
from .verdicts import (NO_IMAGE_BASELINES, QUESTIONS, Measure, fmt,
                       peer_sides, question_verdicts)

#: Folder of the page's images, beside ``report.html``.
ASSETS = 'html'
#: The page's template, in ``topgap_mm/study/templates``.
TEMPLATE = 'report.html.j2'

#: The metrics of a forest plot: every question's, and the box and mask
#: scores of the localisation literature.
FOREST = tuple(m for measures in QUESTIONS.values() for m in measures) + (
    Measure('box/maxboxacc_v2', 'MaxBoxAccV2'),
    Measure('attribution/pointing_game', 'pointing game'),
    Measure('grid_pointing/score', 'grid pointing game'),
    Measure('attribution/relevance_mass', 'relevance mass'),
)


def _row(label: str, diff: Dict, measure: Measure) -> Dict:
    """A difference of report.json on the shown scale."""
    one_seed = diff['n'] < 2 or 'ci_low' not in diff
    text = fmt(diff['mean'], measure)
    if not one_seed:
        text += (f' [{fmt(diff["ci_low"], measure)}, '
                 f'{fmt(diff["ci_high"], measure)}]')
    return dict(
        label=label,
        mean=diff['mean'] * measure.scale,
        low=None if one_seed else diff['ci_low'] * measure.scale,
        high=None if one_seed else diff['ci_high'] * measure.scale,
        text=text,
        convergence=diff.get('convergence', UNKNOWN))


def forest_panels(entry: Dict, split: str, pair: str,
                  first: Optional[str] = None) -> List[Dict]:
    """The panels of a pair's forest plot on one split, from report.json.

    Args:
        entry (dict): The pair's entry of report.json.
        split (str): The test split.
        pair (str): The pair's name.
        first (str, optional): The first pair's name, when ``pair`` is
            another (its ``difference_from_first`` rows are added).

    Returns:
        list[dict]: Per metric with a difference, ``label``, ``rows`` (see
        :func:`topgap_mm.study.figures.plot_forest`; each with its
        ``text``) and ``references``: each model-free baseline's mean minus
        the twin's, on the difference's scale.
    """
    rows = entry['splits'].get(split, {})
    panels = []
    for measure in FOREST:
        for key in measure.keys(rows):
            row = rows[key]
            drawn = []
            if row.get('difference'):
                drawn.append(_row('Top-GAP - twin', row['difference'],
                                  measure))
            if first is not None and row.get('difference_from_first'):
                drawn.append(_row(f'{pair} - {first}',
                                  row['difference_from_first'], measure))
            for peer, diffs in row.get('peer_differences', {}).items():
                for side, label in peer_sides(peer):
                    if diffs.get(side):
                        drawn.append(_row(label, diffs[side], measure))
            if not drawn:
                continue
            twin = row.get('twin') or {}
            references = [
                dict(label=f'{method} - twin',
                     value=(row['baselines'][method]['mean'] - twin['mean']) *
                     measure.scale)
                for method in NO_IMAGE_BASELINES
                if method in row.get('baselines', {}) and 'mean' in twin
            ]
            unit = f' ({measure.unit})' if measure.unit else ''
            better = 'higher' if measure.higher_is_better else 'lower'
            panels.append(dict(
                label=f'{measure.label_of(key)}{unit}, {better} is better',
                key=key, rows=drawn, references=references))
    return panels


def git_commit(root: str = ROOT) -> Optional[str]:
    """The commit checked out at ``root``, None outside a git work tree."""
    try:
        out = subprocess.run(['git', '-C', root, 'rev-parse', 'HEAD'],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _training_rows(convergence: Dict[str, Dict[str, Dict]]) -> List[Dict]:
    """A row per run: model, seed, val curve's last value and verdict."""
    rows = []
    for model, verdicts in convergence.items():
        for seed, v in verdicts.items():
            curve = list(v.get('curve', {}).values())
            rows.append(dict(
                model='Top-GAP' if model == 'topgap' else model,
                seed=seed,
                epochs=len(curve),
                last=f'{curve[-1]:.1f}' if curve else '-',
                best=f'{max(curve):.1f}' if curve else '-',
                verdict=v['verdict'],
                reason=v['reason']))
    return rows


def write_html_report(spec: StudySpec,
                      runs: List[Run],
                      report: Dict,
                      work_dir: str,
                      config: Optional[str] = None,
                      gallery: bool = True,
                      options: str = '') -> str:
    """Write ``report.html`` and its images (:data:`ASSETS`) into
    ``work_dir``.

    Args:
        spec (StudySpec): The study.
        runs (list[Run]): Its runs.
        report (dict): Its report, as written to report.json (with the
            ``figures`` of the validation curves).
        work_dir (str): The study's work directory.
        config (str, optional): The study config's path, for the page's
            "how to reproduce".
        gallery (bool): Draw the CAM galleries (loads every drawn run's
            checkpoint). Defaults to True.
        options (str): The options ``tools/study.py`` was given beside the
            config (``--cfg-options ...``), repeated in "how to reproduce".

    Returns:
        str: The page's path.
    """
    # report.py calls this module; its criterion sentence is read late.
    from .report import _criterion
    assets = osp.join(work_dir, ASSETS)
    os.makedirs(assets, exist_ok=True)
    confidence = report['confidence']
    regimes = []
    for regime, pairs in report['regimes'].items():
        first = next(iter(pairs))
        shown_pairs = []
        for pair, entry in pairs.items():
            other = None if pair == first else first
            splits = []
            for split in entry['splits']:
                panels = forest_panels(entry, split, pair, other)
                image = None
                if panels:
                    image = f'{ASSETS}/forest_{regime}_{pair}_{split}.png'
                    plot_forest(panels, osp.join(work_dir, image),
                                f'{regime} / {pair} / {split}', confidence)
                splits.append(dict(
                    name=split,
                    verdicts=question_verdicts(entry, split, confidence, pair,
                                               other),
                    forest=image,
                    panels=panels))
            curves = report.get('figures', {}).get(regime, {}).get(pair)
            if curves and osp.isfile(osp.join(work_dir, curves)):
                copied = f'{ASSETS}/curves_{regime}_{pair}.png'
                shutil.copyfile(osp.join(work_dir, curves),
                                osp.join(work_dir, copied))
                curves = copied
            else:
                curves = None
            k = sorted(set(map(str, entry['selected_k'].values())))
            shown_pairs.append(dict(
                name=pair,
                splits=splits,
                curves=curves,
                training=_training_rows(entry['convergence']),
                selected_k=None if k == ['None'] else entry['selected_k']))
        drawn = None
        if gallery:
            image = f'{ASSETS}/gallery_{regime}.png'
            drawn = build_gallery(spec, runs, report, regime, work_dir,
                                  osp.join(work_dir, image))
            drawn['image'] = image if drawn['drawn'] else None
        regimes.append(dict(name=regime, pairs=shown_pairs, gallery=drawn))
    work = osp.abspath(work_dir)
    config = config or 'STUDY_CONFIG'
    env = Environment(
        loader=FileSystemLoader(osp.join(osp.dirname(__file__), 'templates')),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True)
    page = env.get_template(TEMPLATE).render(
        regimes=regimes,
        seeds=report['seeds'],
        confidence=round(100 * confidence),
        level=100 - round(100 * confidence),
        selection_split=report['selection_split'],
        test_splits=report['test_splits'],
        criterion=_criterion(report['convergence_criterion']),
        config=config,
        commit=git_commit(),
        commands=[
            f'python tools/study.py {config} --work-dir {work}{options}',
            f'python tools/study.py {config} --work-dir {work}{options} '
            '--report-only',
        ])
    path = osp.join(work_dir, 'report.html')
    with open(path, 'w') as f:
        f.write(page)
    return path
