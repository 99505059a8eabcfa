"""Markdown tables, as the reports, tools and benchmarks print them."""
from typing import Iterable, List, Optional, Sequence

#: Separator cell of each alignment.
_RULES = {'left': '---', 'right': '---:', 'center': ':---:'}


def markdown_table(header: Sequence[str],
                   rows: Iterable[Sequence],
                   align: Optional[Sequence[str]] = None) -> List[str]:
    """The lines of a Markdown (GitHub) table.

    Args:
        header (Sequence[str]): Column titles.
        rows (Iterable[Sequence]): One sequence of cells per row, as many as
            ``header``; a cell is written with ``str``.
        align (Sequence[str], optional): 'left', 'right' or 'center' per
            column. Defaults to the renderer's own (left).

    Returns:
        list[str]: The header line, the separator line and a line per row.

    Raises:
        ValueError: If a row or ``align`` has another number of cells than
            ``header``, or an alignment is unknown.

    Examples:
        >>> print('\\n'.join(markdown_table(['model', 'acc.'],
        ...                                 [['Top-GAP', 94.8]],
        ...                                 align=['left', 'right'])))
        | model | acc. |
        |---|---:|
        | Top-GAP | 94.8 |
    """
    width = len(header)
    align = ['left'] * width if align is None else list(align)
    if len(align) != width or not set(align) <= set(_RULES):
        raise ValueError(
            f'`align` must give one of {sorted(_RULES)} for each of the '
            f'{width} columns, got {align!r}.')
    lines = [_row(header), '|' + '|'.join(_RULES[a] for a in align) + '|']
    for number, row in enumerate(rows):
        cells = [str(cell) for cell in row]
        if len(cells) != width:
            raise ValueError(
                f'Row {number} has {len(cells)} cells, the header {width}: '
                f'{cells!r}.')
        lines.append(_row(cells))
    return lines


def _row(cells: Sequence[str]) -> str:
    return '| ' + ' | '.join(cells) + ' |'
