"""The study's answer: per regime, pair, split and metric, Top-GAP and its
twin over seeds with confidence intervals, their paired difference, and the
trivial baselines beside the localisation numbers."""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

from ..utils.markdown import markdown_table
from .convergence import UNKNOWN, convergence_verdict, worst_verdict
from .figures import plot_validation_curves
from .html_report import write_html_report
from .selection import select_on_split
from .spec import TRAINING, Run, StudySpec
from .statistics import paired_difference, summarize
from .verdicts import peer_sides

#: Baseline CAM methods that read the twin itself (the others, such as
#: ``center_gaussian``, look at no image).
MODEL_METHODS = ('cam', 'gradcam', 'recipro_cam')

#: Metrics shown in the report's tables (others stay in report.json), with
#: a short name and a scale (fractions are shown as percent).
SHOWN = (
    ('accuracy/top1', 'acc.', 1.0),
    ('cam/iou@best_val_thr', 'CAM IoU', 1.0),
    ('cam/pxap', 'PxAP', 1.0),
    ('cam/l1', 'sparsity', 1.0),
    ('erf/distance', 'ERF dist.', 1.0),
    ('acc/PGD-20_eps8', 'PGD-20', 100.0),
    ('group/worst_group_accuracy', 'worst group', 1.0),
    ('attack_distance/attack_distance', 'attack dist.', 1.0),
)

#: The second table of a split: box localisation, the mask scores of the
#: attribution literature, faithfulness and the randomisation check (where
#: "(low)" marks the metrics on which lower is better).
SHOWN_LOCALISATION = (
    ('box/maxboxacc_v2', 'MaxBoxAccV2', 1.0),
    ('box/gt_known_loc', 'GT-known Loc', 1.0),
    ('box/top1_loc', 'Top-1 Loc', 1.0),
    ('attribution/pointing_game', 'pointing game', 1.0),
    ('grid_pointing/score', 'grid pointing', 1.0),
    ('attribution/relevance_mass', 'rel. mass', 1.0),
    ('attribution/relevance_rank', 'rel. rank', 1.0),
    ('faithfulness/deletion_auc', 'deletion (low)', 1.0),
    ('faithfulness/insertion_auc', 'insertion', 1.0),
    ('mprt/spearman_top', 'MPRT head (low)', 1.0),
    ('mprt/spearman_all', 'MPRT all (low)', 1.0),
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
        run_options=_dotted(spec.cfg_options),
        seeds=spec.seeds,
        confidence=spec.confidence,
        convergence_criterion=spec.convergence,
        regimes={})
    for regime in spec.regimes:
        pairs = {
            pair['name']: _pair_entry(spec, regime, pair,
                                      _PairRuns.collect(
                                          spec, runs, results, regime, pair))
            for pair in spec.pairs
        }
        _add_differences_from_first(pairs, spec.confidence)
        report['regimes'][regime] = pairs
    return report


@dataclass
class _PairRuns:
    """The results a pair's entry is built from, by seed: its chosen
    Top-GAP run (k chosen on the selection split), its twin and its
    peers, with their convergence verdicts."""
    chosen: Dict[int, Dict]
    selected_k: Dict[int, object]
    twins: Dict[int, Dict]
    peers: Dict[str, Dict[int, Dict]]
    convergence: Dict[str, Dict]

    @classmethod
    def collect(cls, spec: StudySpec, runs: List[Run],
                results: Dict[str, Dict], regime: str,
                pair: dict) -> '_PairRuns':
        name = pair['name']
        chosen, selected_k = {}, {}
        for seed in spec.seeds:
            candidates = {
                r.k: results[r.name]
                for r in runs if r.regime == regime and r.pair == name
                and r.model == 'topgap' and r.seed == seed
            }
            k = None if spec.k_grid is None else select_on_split(
                candidates, spec.selection_split, spec.select_k_by)
            chosen[seed], selected_k[seed] = candidates[k], k
        twins = {
            r.seed: results[r.name]
            for r in runs
            if r.regime == regime and r.serves(name) and r.model == 'twin'
        }
        peers = {
            peer: {
                r.seed: results[r.name]
                for r in runs if r.regime == regime and r.pair == name
                and r.model == peer
            }
            for peer in pair['peers']
        }
        convergence = dict(
            topgap=_verdicts(chosen, spec.convergence),
            twin=_verdicts(twins, spec.convergence),
            **{p: _verdicts(v, spec.convergence)
               for p, v in peers.items()})
        return cls(chosen, selected_k, twins, peers, convergence)


def _pair_entry(spec: StudySpec, regime: str, pair: dict,
                got: _PairRuns) -> Dict:
    """A pair's k, convergence, time and rows of every test split."""
    return dict(
        selected_k={str(s): k
                    for s, k in got.selected_k.items()},
        convergence=got.convergence,
        seconds=dict(
            topgap=_mean_seconds(got.chosen.values()),
            twin=_mean_seconds(got.twins.values()),
            **{p: _mean_seconds(v.values())
               for p, v in got.peers.items()}),
        splits={
            split: {
                key: _metric_row(spec, got, split, key,
                                 spec.paper.get(regime, {}).get(
                                     pair['name'], {}).get(split, {}).get(key))
                for key in _metric_keys(got, split)
            }
            for split in spec.test_splits
        })


def _metric_keys(got: _PairRuns, split: str) -> List[str]:
    """The metrics any run of the pair has on ``split``, the baselines'
    aside (they are rows' columns)."""
    every = [
        *got.chosen.values(), *got.twins.values(),
        *(v for runs_of in got.peers.values() for v in runs_of.values())
    ]
    return sorted(k for k in set().union(*(r[split] for r in every))
                  if not k.startswith('baseline/'))


def _by_seed(results: Dict[int, Dict], split: str,
             key: str) -> Dict[int, float]:
    """Seed -> the finite values of ``key`` on ``split``."""
    return {
        s: r[split][key]
        for s, r in results.items() if _finite(r[split].get(key))
    }


def _metric_row(spec: StudySpec, got: _PairRuns, split: str, key: str,
                paper: Optional[float]) -> Dict:
    """One metric's summaries: Top-GAP, the twin, their paired
    difference, the peers, the baselines and the paper's value."""
    tg = _by_seed(got.chosen, split, key)
    tw = _by_seed(got.twins, split, key)
    row = dict(
        topgap=dict(summarize(tg.values(), spec.confidence), seeds=list(tg))
        if tg else None,
        twin=summarize(tw.values(), spec.confidence) if tw else None)
    if tg and tw and set(tg) & set(tw):
        row['difference'] = paired_difference(tg, tw, spec.confidence)
        row['difference']['convergence'] = _worst(
            {m: got.convergence[m] for m in ('topgap', 'twin')},
            row['difference']['seeds'])
    for peer, runs_of in got.peers.items():
        _add_peer(row, peer, _by_seed(runs_of, split, key), tg, tw,
                  got.convergence, spec.confidence)
    base = {}
    for method in spec.baselines:
        found = _by_seed(got.twins, split, f'baseline/{method}/{key}')
        if found:
            base[method] = summarize(found.values(), spec.confidence)
    if base:
        row['baselines'] = base
    if paper is not None:
        row['paper'] = paper
    return row


def _add_peer(row: Dict, peer: str, values: Dict[int, float],
              topgap: Dict[int, float], twin: Dict[int, float],
              convergence: Dict[str, Dict], confidence: float) -> None:
    """Put a peer's summary in ``row['peers']`` and its differences,
    paired by seed, in ``row['peer_differences'][peer]``: ``topgap`` is
    Top-GAP minus the peer, ``twin`` the peer minus the twin (each with
    the worst convergence of the runs it rests on)."""
    if not values:
        return
    row.setdefault('peers', {})[peer] = dict(
        summarize(values.values(), confidence), seeds=list(values))
    differences = {}
    for side, (a, b, models) in dict(
            topgap=(topgap, values, ('topgap', peer)),
            twin=(values, twin, (peer, 'twin'))).items():
        if set(a) & set(b):
            diff = paired_difference(a, b, confidence)
            diff['convergence'] = _worst(
                {m: convergence[m] for m in models}, diff['seeds'])
            differences[side] = diff
    row.setdefault('peer_differences', {})[peer] = differences


def _verdicts(runs: Dict[int, Dict], criterion: Dict) -> Dict[str, Dict]:
    """Seed (as a string, as in report.json) -> convergence verdict of each
    run's training record (see :func:`convergence_verdict`; a record from
    before ``val_samples`` was kept is judged without the curve's noise),
    with the curve it was judged on."""
    verdicts = {}
    for seed, result in runs.items():
        seed = str(seed)
        record = result.get(TRAINING)
        curve = (record or {}).get('curves', {}).get(criterion['metric'])
        if not curve:
            verdicts[seed] = dict(
                verdict=UNKNOWN,
                reason=f'no {criterion["metric"]} per epoch in the run\'s '
                'training record',
                curve={})
            continue
        curve = dict(sorted(curve.items(), key=lambda item: int(item[0])))
        verdicts[seed] = dict(
            convergence_verdict(
                list(curve.values()), record['num_classes'],
                record.get('val_samples'), **criterion),
            curve=curve)
    return verdicts


def _mean_seconds(results) -> Dict[str, float]:
    """Stage -> wall time in seconds, the mean over the runs that timed it
    (training, then the evaluation of each split)."""
    times = {}
    for result in results:
        seconds = (result.get(TRAINING) or {}).get('seconds', {})
        for stage, sec in seconds.items():
            times.setdefault(stage, []).append(sec)
    return {stage: sum(v) / len(v) for stage, v in times.items()}


def _worst(convergence: Dict[str, Dict[str, Dict]], seeds) -> str:
    """The worst verdict of the models in ``convergence`` over ``seeds``: a
    difference is as converged as the least converged run it rests on."""
    return worst_verdict(verdicts[str(seed)]['verdict']
                         for verdicts in convergence.values()
                         for seed in seeds if str(seed) in verdicts)


def _add_differences_from_first(pairs: Dict[str, Dict],
                                confidence: float) -> None:
    """Give every row of the pairs after the first a
    ``difference_from_first``: its Top-GAP model minus the first pair's,
    paired by seed, where the two share a seed."""

    def by_seed(row):
        summary = (row or {}).get('topgap') or {}
        return dict(zip(summary.get('seeds', []), summary.get('values', [])))

    reference = next(iter(pairs.values()))
    first = reference['splits']
    for entry in list(pairs.values())[1:]:
        sides = dict(
            mine=entry['convergence']['topgap'],
            first=reference['convergence']['topgap'])
        for split, rows in entry['splits'].items():
            for key, row in rows.items():
                mine = by_seed(row)
                theirs = by_seed(first.get(split, {}).get(key))
                if set(mine) & set(theirs):
                    diff = paired_difference(mine, theirs, confidence)
                    diff['convergence'] = _worst(sides, diff['seeds'])
                    row['difference_from_first'] = diff


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


def _dotted(options: Dict, prefix: str = '') -> Dict[str, object]:
    """Config options with nested dicts written as dotted keys, as
    ``--cfg-options`` takes them."""
    dotted = {}
    for key, value in options.items():
        if isinstance(value, dict):
            dotted.update(_dotted(value, f'{prefix}{key}.'))
        else:
            dotted[f'{prefix}{key}'] = value
    return dotted


def render_markdown(report: Dict) -> str:
    """The report's tables as Markdown: one per regime, pair and split, a
    row per model (Top-GAP, its twin, their difference paired by seed, the
    baselines) and a column per metric; cells are mean [CI] over seeds."""
    conf = round(100 * report['confidence'])
    lines = [
        '# Study report', '',
        f'Seeds {report["seeds"]}; cells are the mean over seeds with its '
        f'{conf}% confidence interval (Student t). "Top-GAP - twin" is the '
        'difference paired by seed: an interval that excludes 0 is a '
        f'difference at the {100 - conf}% level. A peer (another design, '
        'trained on the same data for as many epochs with its own recipe) '
        'has its own row, with "Top-GAP - peer" and "peer - twin" paired '
        'the same way; its map is its own explanation. ' +
        (f'k and every CAM-IoU threshold were chosen on '
         f'`{report["selection_split"]}`, never on a test split. '
         if report['selection_split'] else 'Nothing was chosen on data. ') +
        'The twin\'s localisation columns use its GradCAM; '
        'baseline rows are other CAM methods on the twin and maps that look '
        'at no image (center_gaussian, uniform), through the same metrics. '
        'Every run\'s validation curve is judged by the convergence '
        f'criterion ({_criterion(report["convergence_criterion"])}); a '
        'difference marked **budget-bound** (or **failed**) rests on at '
        'least one run that had not converged (or stayed near chance): it '
        'describes this training budget, not the models.',
        ''
    ]
    if report.get('run_options'):
        options = ', '.join(f'`{key}={value}`'
                            for key, value in report['run_options'].items())
        lines += [
            'Every run trained and was tested with these options over its '
            f'config file (the study\'s `cfg_options`): {options}.', ''
        ]
    for regime, pairs in report['regimes'].items():
        if len(pairs) > 1:
            lines += _side_by_side(regime, pairs, report['confidence'])
        for pair, entry in pairs.items():
            lines += [f'## {regime} / {pair}', '']
            lines += _training_table(entry['convergence'])
            lines += _time_line(entry.get('seconds', {}))
            figure = report.get('figures', {}).get(regime, {}).get(pair)
            if figure:
                lines += [f'![validation curves, {regime} / {pair}]'
                          f'({figure})', '']
            if sorted(set(map(str, entry['selected_k'].values()))) != [
                    'None'
            ]:
                lines += [f'Selected k per seed: {entry["selected_k"]}', '']
            for split, rows in entry['splits'].items():
                lines += [f'### {split}', ''] + _split_table(rows, SHOWN)
                if any(key in rows for key, _, _ in SHOWN_LOCALISATION):
                    lines += [''] + _split_table(rows, SHOWN_LOCALISATION)
                lines += ['']
    return '\n'.join(lines)


def _side_by_side(regime: str, pairs: Dict[str, Dict],
                  confidence: float) -> List[str]:
    """Every pair's Top-GAP model in one table per split, the twins once
    each (pairs that share a twin config share its row), and each model's
    difference from the first pair's, paired by seed: the first pair is
    the reference the others are compared with."""
    lines = [
        f'## {regime}: all pairs side by side', '',
        f'"X - {next(iter(pairs))}" rows are differences paired by seed '
        f'from the first pair\'s model: an interval that excludes 0 is a '
        f'difference at the {100 - round(100 * confidence)}% level.', ''
    ]
    reference, first = next(iter(pairs.items()))
    for split in first['splits']:
        keys = [key for key, _, _ in SHOWN
                if any(key in e['splits'][split] for e in pairs.values())]
        header = [short for key, short, _ in SHOWN if key in keys]
        scales = [scale for key, _, scale in SHOWN if key in keys]
        body = []
        twins = {}
        for pair, entry in pairs.items():
            rows = entry['splits'][split]
            body.append([pair] + [
                _fmt(rows.get(key, {}).get('topgap'), scale)
                for key, scale in zip(keys, scales)
            ])
            twin = tuple(
                _fmt(rows.get(key, {}).get('twin'), scale)
                for key, scale in zip(keys, scales))
            twins.setdefault(twin, []).append(pair)
        for cells, owners in twins.items():
            name = 'twin' if len(twins) == 1 else \
                f'twin of {", ".join(owners)}'
            body.append([name, *cells])
        for pair, entry in list(pairs.items())[1:]:
            differences = [
                entry['splits'][split].get(key, {}).get(
                    'difference_from_first') for key in keys
            ]
            body.append([_marked(f'{pair} - {reference}', differences)] + [
                _fmt(d, scale) for d, scale in zip(differences, scales)
            ])
        lines += [f'### {split}', '']
        lines += markdown_table(['model', *header], body)
        lines.append('')
    return lines


def _criterion(criterion: Dict) -> str:
    return (f'converged when the last {criterion["window"]} epochs\' val '
            f'{criterion["metric"]} rises by at most '
            f'{criterion["max_slope"]:g} points per epoch plus '
            f'{criterion["z"]:g} standard errors of that least-squares slope '
            'on the val split\'s images, and averages within '
            f'{criterion["tolerance"]:g} points of the run\'s best, which is '
            f'at least {criterion["min_above_chance"]:g} points above chance')


def _marked(name: str, differences: List[Optional[Dict]]) -> str:
    """``name`` with the worst convergence of ``differences`` in bold
    unless they all rest on converged runs."""
    worst = worst_verdict(d.get('convergence', UNKNOWN)
                          for d in differences if d)
    if worst == 'converged':
        return name
    return f'{name}, **{"convergence " if worst == UNKNOWN else ""}{worst}**'


def _training_table(convergence: Dict[str, Dict[str, Dict]]) -> List[str]:
    """A row per run: its validation curve and the criterion's verdict."""
    rows = []
    for model, verdicts in convergence.items():
        for seed, v in verdicts.items():
            curve = ' / '.join(f'{x:.1f}' for x in v['curve'].values())
            rows.append([
                'Top-GAP' if model == 'topgap' else model, seed, curve or '-',
                f'{v["verdict"]}: {v["reason"]}'
            ])
    return markdown_table(['model', 'seed', 'val per epoch', 'verdict'],
                          rows) + ['']


def _time_line(seconds: Dict[str, Dict[str, float]]) -> List[str]:
    """Where a run's time went: training and each split's evaluation."""
    parts = [
        f'{"Top-GAP" if model == "topgap" else model} ' + ', '.join(
            f'{stage} {sec:.0f} s' for stage, sec in stages.items())
        for model, stages in seconds.items() if stages
    ]
    if not parts:
        return []
    return ['Wall time per run, mean over seeds: ' + '; '.join(parts) + '.',
            '']


def _split_table(rows: Dict[str, Dict], columns: tuple) -> List[str]:
    shown = [(key, short, scale) for key, short, scale in columns
             if key in rows]
    methods = []
    for key, _, _ in shown:
        for method in rows[key].get('baselines', {}):
            if method not in methods:
                methods.append(method)
    peers = []
    for key, _, _ in shown:
        for peer in rows[key].get('peers', {}):
            if peer not in peers:
                peers.append(peer)
    table = [('Top-GAP', lambda r: r.get('topgap')),
             ('twin', lambda r: r.get('twin')),
             (_marked('Top-GAP - twin',
                      [rows[key].get('difference') for key, _, _ in shown]),
              lambda r: r.get('difference'))]
    for peer in peers:
        table.append((peer, lambda r, p=peer: r.get('peers', {}).get(p)))
        for side, label in peer_sides(peer):

            def get(r, p=peer, side=side):
                return r.get('peer_differences', {}).get(p, {}).get(side)

            table.append((_marked(label, [get(rows[key])
                                          for key, _, _ in shown]), get))
    table += [(f'twin, {m}' if m in MODEL_METHODS else m,
               lambda r, m=m: r.get('baselines', {}).get(m))
              for m in methods]
    body = [[name] + [_fmt(get(rows[key]), scale) for key, _, scale in shown]
            for name, get in table]
    papers = [rows[key].get('paper') for key, _, _ in shown]
    if any(p is not None for p in papers):
        body.append(['paper, Top-GAP'] +
                    ['-' if p is None else str(p) for p in papers])
    lines = markdown_table(['model'] + [short for _, short, _ in shown], body)
    return lines


def write_report(spec: StudySpec,
                 runs: List[Run],
                 results: Dict[str, Dict],
                 work_dir: str,
                 config: Optional[str] = None,
                 gallery: bool = True,
                 options: str = '') -> Dict:
    """Write ``report.json``, ``report.md``, the validation curves of
    every pair (``curves/<regime>_<pair>.png``) and ``report.html`` with
    its images (see :func:`write_html_report`) into ``work_dir``.

    Args:
        spec (StudySpec): The study.
        runs (list[Run]): Its runs.
        results (dict): Run name -> split -> metrics, and each run's
            training record.
        work_dir (str): The study's work directory.
        config (str, optional): The study config's path, for the page.
        gallery (bool): Draw the page's CAM galleries from the runs'
            checkpoints. Defaults to True.
        options (str): The options ``tools/study.py`` was given beside the
            config, for the page's commands.

    Returns:
        dict: The report, as in report.json.
    """
    report = build_report(spec, runs, results)
    os.makedirs(osp.join(work_dir, 'curves'), exist_ok=True)
    figures = report['figures'] = {}
    for regime, pairs in report['regimes'].items():
        for pair, entry in pairs.items():
            name = osp.join('curves', f'{regime}_{pair}.png')
            plot_validation_curves(entry['convergence'],
                                   osp.join(work_dir, name),
                                   f'{regime} / {pair}',
                                   spec.convergence['metric'])
            figures.setdefault(regime, {})[pair] = name
    with open(osp.join(work_dir, 'report.json'), 'w') as f:
        json.dump(report, f, indent=1)
    with open(osp.join(work_dir, 'report.md'), 'w') as f:
        f.write(render_markdown(report))
    write_html_report(spec, runs, report, work_dir, config, gallery, options)
    return report
