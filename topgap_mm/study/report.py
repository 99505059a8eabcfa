"""The study's answer: per regime, pair, split and metric, Top-GAP and its
twin over seeds with confidence intervals, their paired difference, and the
trivial baselines beside the localisation numbers."""
import json
import math
import os.path as osp
from typing import Dict, List, Optional

from .selection import select_on_split
from .spec import Run, StudySpec
from .statistics import paired_difference, summarize

#: Metrics shown in the report's tables (others stay in report.json), with
#: a short name and a scale (fractions are shown as percent).
SHOWN = (
    ('accuracy/top1', 'acc.', 1.0),
    ('cam/iou@best_val_thr', 'CAM IoU', 1.0),
    ('cam/pxap', 'PxAP', 1.0),
    ('cam/l1', 'sparsity', 1.0),
    ('erf/distance', 'ERF dist.', 1.0),
    ('acc/PGD-20_eps8', 'PGD-20', 100.0),
    ('group/worst', 'worst group', 1.0),
)


def build_report(spec: StudySpec, runs: List[Run],
                 results: Dict[str, Dict]) -> Dict:
    """Aggregate the runs' metrics into the report's numbers.

    For each regime, pair and seed the Top-GAP model's k is chosen on the
    selection split (:func:`select_on_split`), and only the chosen run's
    test metrics enter the Top-GAP summary.

    Returns:
        dict: ``regimes -> regime -> pairs -> pair -> dict(selected_k,
        splits -> split -> metric -> dict(topgap, twin, difference,
        baselines, paper))``.
    """
    report = dict(
        selection_split=spec.selection_split,
        test_splits=spec.test_splits,
        seeds=spec.seeds,
        confidence=spec.confidence,
        regimes={})
    for regime in spec.regimes:
        pairs = {}
        for pair in spec.pairs:
            name = pair['name']
            chosen, selected_k = {}, {}
            for seed in spec.seeds:
                candidates = {
                    r.k: results[r.name]
                    for r in runs if r.regime == regime and r.pair == name
                    and r.model == 'topgap' and r.seed == seed
                }
                k = select_on_split(candidates, spec.selection_split,
                                    spec.select_k_by)
                chosen[seed], selected_k[seed] = candidates[k], k
            twins = {
                r.seed: results[r.name]
                for r in runs if r.regime == regime and r.pair == name
                and r.model == 'twin'
            }
            splits = {}
            for split in spec.test_splits:
                keys = sorted(
                    set().union(*(chosen[s][split] for s in chosen))
                    | set().union(*(twins[s][split] for s in twins)))
                rows = {}
                for key in keys:
                    tg = {
                        s: chosen[s][split][key]
                        for s in chosen if _finite(chosen[s][split].get(key))
                    }
                    tw = {
                        s: twins[s][split][key]
                        for s in twins if _finite(twins[s][split].get(key))
                    }
                    row = dict(
                        topgap=summarize(tg.values(), spec.confidence)
                        if tg else None,
                        twin=summarize(tw.values(), spec.confidence)
                        if tw else None)
                    if tg and tw and set(tg) & set(tw):
                        row['difference'] = paired_difference(
                            tg, tw, spec.confidence)
                    base = {}
                    for method in spec.baselines:
                        entry = results.get(f'baseline/{method}/{regime}/'
                                            f'{name}', {})
                        if _finite(entry.get(split, {}).get(key)):
                            base[method] = entry[split][key]
                    if base:
                        row['baselines'] = base
                    paper = spec.paper.get(regime, {}).get(name, {}).get(
                        split, {}).get(key)
                    if paper is not None:
                        row['paper'] = paper
                    rows[key] = row
                splits[split] = rows
            pairs[name] = dict(
                selected_k={str(s): k
                            for s, k in selected_k.items()},
                splits=splits)
        report['regimes'][regime] = pairs
    return report


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _fmt(summary: Optional[Dict], scale: float) -> str:
    if summary is None:
        return '-'
    mean = summary['mean'] * scale
    if summary['n'] < 2:
        return f'{mean:.2f} (n=1)'
    low, high = summary['ci_low'] * scale, summary['ci_high'] * scale
    return f'{mean:.2f} [{low:.2f}, {high:.2f}]'


def render_markdown(report: Dict) -> str:
    """The report's tables as Markdown: one table per regime, pair and
    split; cells are mean [CI] over seeds, the difference is Top-GAP minus
    twin, paired by seed."""
    conf = round(100 * report['confidence'])
    lines = [
        '# Study report', '',
        f'Seeds {report["seeds"]}; cells are the mean over seeds with its '
        f'{conf}% confidence interval (Student t); "difference" is Top-GAP '
        'minus its twin, paired by seed: an interval that excludes 0 is a '
        f'difference at the {100 - conf}% level. k and the CAM-IoU threshold '
        f'were chosen on `{report["selection_split"]}`, never on a test '
        'split. Baselines are CAM methods that look at no image.', ''
    ]
    for regime, pairs in report['regimes'].items():
        for pair, entry in pairs.items():
            ks = sorted(set(map(str, entry['selected_k'].values())))
            lines.append(f'## {regime} / {pair}')
            lines.append('')
            if ks != ['None']:
                lines.append(f'Selected k per seed: {entry["selected_k"]}')
                lines.append('')
            for split, rows in entry['splits'].items():
                lines += [
                    f'### {split}', '',
                    '| metric | Top-GAP | twin | difference | baselines | '
                    'paper |', '|---|---|---|---|---|---|'
                ]
                for key, short, scale in SHOWN:
                    if key not in rows:
                        continue
                    row = rows[key]
                    base = ', '.join(f'{m} {v * scale:.2f}'
                                     for m, v in row.get('baselines',
                                                         {}).items()) or '-'
                    lines.append(
                        f'| {short} (`{key}`) | {_fmt(row["topgap"], scale)} '
                        f'| {_fmt(row["twin"], scale)} | '
                        f'{_fmt(row.get("difference"), scale)} | {base} | '
                        f'{row.get("paper", "-")} |')
                lines.append('')
    return '\n'.join(lines)


def write_report(spec: StudySpec, runs: List[Run], results: Dict[str, Dict],
                 work_dir: str) -> Dict:
    """Write ``report.json`` and ``report.md`` into ``work_dir``."""
    report = build_report(spec, runs, results)
    with open(osp.join(work_dir, 'report.json'), 'w') as f:
        json.dump(report, f, indent=1)
    with open(osp.join(work_dir, 'report.md'), 'w') as f:
        f.write(render_markdown(report))
    return report
