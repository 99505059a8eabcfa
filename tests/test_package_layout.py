"""The package's folders import one way, as the design guide's map says
(docs/en/advanced_guides/design.md, "The package: what each folder
holds"): an import that reaches back up, which would let a circle form,
fails here."""
import ast
import os.path as osp
from pathlib import Path

import topgap_mm

PACKAGE = Path(osp.dirname(topgap_mm.__file__))

#: From the top down; a folder may import only from folders after it.
LAYERS = ('study', 'analysis', 'engine', 'visualization', 'evaluation',
          'cam', 'datasets', 'models', 'utils')


def imported_folders(here: tuple, source: str):
    """The package folders a module in the package folder ``here`` (its
    parts, e.g. ``('models', 'heads')``) imports from, given its
    ``source``."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            parts = list(here[:len(here) - node.level + 1])
            parts += node.module.split('.') if node.module else []
        elif (node.module or '').startswith('topgap_mm.'):
            parts = node.module.split('.')[1:]
        else:
            continue
        if parts:
            yield parts[0]


def test_folders_import_only_from_the_layers_below():
    wrong = []
    for folder in LAYERS:
        below = set(LAYERS[LAYERS.index(folder) + 1:])
        for path in sorted((PACKAGE / folder).rglob('*.py')):
            here = path.relative_to(PACKAGE).parts[:-1]
            source = path.read_text(encoding='utf-8')
            for target in imported_folders(here, source):
                if target in LAYERS and target != folder \
                        and target not in below:
                    wrong.append(f'{path.relative_to(PACKAGE)} -> {target}')
    assert not wrong, 'imports against the layering: ' + ', '.join(wrong)


def test_every_folder_is_placed_in_a_layer():
    folders = {p.name for p in PACKAGE.iterdir()
               if (p / '__init__.py').is_file()}
    # apis/ is the deprecated alias of analysis/ and utils/.
    assert folders - {'apis'} == set(LAYERS)


def test_the_check_resolves_relative_and_absolute_imports():
    """A model importing from ``..evaluation`` or
    ``topgap_mm.evaluation`` is seen as importing from evaluation."""
    here = ('models', 'heads')
    assert list(imported_folders(here, 'from ...evaluation import A\n')) \
        == ['evaluation']
    assert list(imported_folders(here, 'from ..utils import B\n')) == [
        'models'
    ]
    assert list(imported_folders(
        here, 'from topgap_mm.evaluation.metrics import C\n')) == [
            'evaluation'
        ]
    assert list(imported_folders(here, 'from mmpretrain import D\n')) == []
