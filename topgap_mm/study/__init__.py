"""Studies: Top-GAP against its twin over seeds, chosen on held-out data."""
from .plan import plan_lines
from .report import build_report, render_markdown, write_report
from .runner import StudyRunner
from .selection import select_on_split
from .spec import Run, StudySpec
from .statistics import paired_difference, summarize

__all__ = [
    'Run', 'StudyRunner', 'StudySpec', 'build_report', 'paired_difference',
    'plan_lines', 'render_markdown', 'select_on_split', 'summarize',
    'write_report'
]
