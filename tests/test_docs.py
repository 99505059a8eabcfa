"""The documentation is true: its links, paths, configs and commands.

The pages are discovered, not listed, so a new or moved page is checked
too: ``README.md``, every ``*.md`` under ``docs/``, every ``README.md``
under ``configs/`` and ``benchmarks/README.md``. On each page:

1. every relative link and image resolves to a file or folder, and every
   ``#anchor`` (on the page itself or on another Markdown page) is a
   heading's anchor by GitHub's slug rule;
2. every repository path under ``configs/``, ``tools/``, ``benchmarks/``,
   ``topgap_mm/``, ``tests/`` or ``docs/`` that is named in code or prose
   and ends in a file suffix (or ``/``, a folder) exists, outputs and
   placeholders aside (see :func:`checkable_path`);
3. every config ``configs/...py`` named loads with ``Config.fromfile``;
4. every command that runs a repository script (``python tools/X.py``,
   ``bash tools/X.sh``, ...) in a shell block, in an inline code span or in
   a shell comment (``# = python tools/study.py ...``) names a script that
   exists, every long option it uses is one the script accepts, and every
   literal word a shell script dispatches on with ``case`` (the job of
   ``tools/run_demo.sh``) is one it knows. The options are read statically
   with ``ast`` (``add_argument`` calls in the script and in the helper
   functions it calls), not by running ``--help``.

The extractors are small pure functions with known-answer tests of their
own, so a check that passes means the docs are right, not that an
extractor found nothing; :func:`test_the_docs_are_scanned` guards that.
"""
import ast
import functools
import glob
import itertools
import os.path as osp
import re
import shlex
from typing import (Dict, FrozenSet, Iterable, List, NamedTuple, Optional,
                    Sequence, Set, Tuple)
from urllib.parse import unquote

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The repository's top-level folders whose paths the docs name.
TOP_DIRS = ('configs', 'tools', 'benchmarks', 'topgap_mm', 'tests', 'docs')
#: A path ending in one of these is a file the repository should hold.
SUFFIXES = ('.py', '.sh', '.md', '.yml', '.yaml', '.json', '.png', '.jpg',
            '.svg', '.txt', '.html', '.cfg', '.toml')
#: Fenced block languages whose lines are shell commands.
SHELL_LANGS = frozenset({'bash', 'sh', 'shell', 'console', 'zsh'})
#: Python scripts that pass the arguments after a bare ``--`` on to another
#: script (``tools/kfold_cross_valid.py`` trains every fold through
#: ``tools/train.py``). Shell scripts that pass arguments on are discovered
#: (see :func:`shell_interface`).
PASSES_ON_AFTER_DASHES = {'tools/kfold_cross_valid.py': 'tools/train.py'}


def doc_pages(root: str = ROOT) -> List[str]:
    """The documentation pages, relative to ``root``, sorted."""
    pages = {'README.md', 'benchmarks/README.md'}
    pages.update(
        osp.relpath(path, root) for path in glob.glob(
            osp.join(root, 'docs', '**', '*.md'), recursive=True))
    pages.update(
        osp.relpath(path, root) for path in glob.glob(
            osp.join(root, 'configs', '**', 'README.md'), recursive=True))
    return sorted(page for page in pages if osp.isfile(osp.join(root, page)))


# --------------------------------------------------------------------------
# Markdown: fenced blocks, inline code, links, headings
# --------------------------------------------------------------------------
_FENCE_OPEN = re.compile(r'^\s*(`{3,}|~{3,})(.*)$')
_FENCE_CLOSE = re.compile(r'^\s*(`{3,}|~{3,})\s*$')
_BLANK_LINE = re.compile(r'\n[ \t]*\n')


class Block(NamedTuple):
    """A fenced code block: its language, the line number of its first body
    line and its body lines; ``fence_lines`` are the 0-based indexes of all
    its lines, fences included (for masking)."""
    lang: str
    first: int
    lines: Tuple[str, ...]
    fence_lines: range


class Span(NamedTuple):
    """An inline code span: its line, its offsets (backticks included) in
    the page and its code (line breaks as spaces, trimmed)."""
    line: int
    start: int
    end: int
    code: str


class Link(NamedTuple):
    """A link or image target, and the line it is on."""
    line: int
    target: str


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of ``offset`` in ``text``."""
    return text.count('\n', 0, offset) + 1


def fenced_blocks(text: str) -> List[Block]:
    """The fenced code blocks of a page (backtick and tilde fences).

    A block closes only at a fence of its own character at least as long as
    the opening one, so a longer fence can show a shorter one; an unclosed
    block runs to the end of the page, as CommonMark has it.
    """
    lines = text.split('\n')
    blocks = []
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        # A backtick fence's info string cannot hold a backtick: ```x``` on
        # one line is inline code.
        if not match or (match.group(1)[0] == '`' and '`' in match.group(2)):
            i += 1
            continue
        fence = match.group(1)
        info = match.group(2).strip().strip('{}.').split()
        j = i + 1
        while j < len(lines):
            close = _FENCE_CLOSE.match(lines[j])
            if (close and close.group(1)[0] == fence[0]
                    and len(close.group(1)) >= len(fence)):
                break
            j += 1
        blocks.append(
            Block(info[0].lower() if info else '', i + 2,
                  tuple(lines[i + 1:j]), range(i, min(j + 1, len(lines)))))
        i = j + 1
    return blocks


def blank_fences(text: str) -> str:
    """``text`` with every fenced block's lines emptied (line numbers
    kept)."""
    lines = text.split('\n')
    for block in fenced_blocks(text):
        for i in block.fence_lines:
            lines[i] = ''
    return '\n'.join(lines)


def _blank(text: str, ranges: Iterable[Tuple[int, int]]) -> str:
    """``text`` with the characters in ``ranges`` made spaces, line breaks
    kept, so offsets and line numbers stay."""
    chars = list(text)
    for start, end in ranges:
        for i in range(start, end):
            if chars[i] != '\n':
                chars[i] = ' '
    return ''.join(chars)


def inline_code_spans(text: str) -> List[Span]:
    """The inline code spans outside fenced blocks.

    A span opens with a run of n backticks and closes at the next run of
    exactly n, within its paragraph, so ````` `` a ` b `` ````` is one span
    holding a backtick; a backslash-escaped backtick opens nothing.
    """
    text = blank_fences(text)
    spans = []
    pos = 0
    ticks = re.compile(r'`+')
    while True:
        opening = ticks.search(text, pos)
        if opening is None:
            return spans
        if opening.start() and text[opening.start() - 1] == '\\':
            pos = opening.start() + 1
            continue
        closing = re.compile(r'(?<!`)`{%d}(?!`)' % len(opening.group()))
        close = closing.search(text, opening.end())
        if close is None or _BLANK_LINE.search(text, opening.end(),
                                               close.start()):
            pos = opening.end()
            continue
        code = ' '.join(text[opening.end():close.start()].split())
        spans.append(
            Span(line_of(text, opening.start()), opening.start(), close.end(),
                 code))
        pos = close.end()


def mask_code(text: str) -> str:
    """``text`` with fenced blocks and inline code blanked: the prose."""
    return _blank(
        blank_fences(text),
        ((span.start, span.end) for span in inline_code_spans(text)))


#: ``[text](target "title")`` and ``![alt](src)``; the text may hold one
#: level of brackets, the target may be ``<...>`` or hold balanced parens.
_LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]'
                   r'\(\s*(<[^>\n]*>|(?:[^\s()<>]|\([^\s()]*\))*)'
                   r'(?:\s+(?:"[^"]*"|\'[^\']*\'))?\s*\)')
#: A reference definition ``[label]: target`` (footnotes ``[^1]:`` aside).
_REF_DEF = re.compile(r'^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*<?([^\s>]+)>?', re.M)
_HTML_LINK = re.compile(
    r'<(?:a|img|source)\b[^>]*?\b(?:href|src)\s*=\s*["\']([^"\']*)["\']',
    re.I)


def _link_matches(prose: str):
    """``(start, end, target)`` of every link target in the prose."""
    for pattern in (_LINK, _REF_DEF, _HTML_LINK):
        for match in pattern.finditer(prose):
            yield match.start(1), match.end(1), match.group(1).strip('<>')


def links(text: str) -> List[Link]:
    """Every link, image, reference definition and HTML ``href``/``src``
    target outside code, in page order."""
    prose = mask_code(text)
    found = sorted(_link_matches(prose))
    return [Link(line_of(prose, start), target) for start, _, target in found]


def _heading_texts(text: str) -> List[str]:
    """The headings (ATX ``# x`` and setext ``x`` over ``===``/``---``),
    outside code, as written."""
    lines = blank_fences(text).split('\n')
    found = []
    for i, line in enumerate(lines):
        atx = re.match(r'^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$',
                       line)
        if atx:
            found.append(atx.group(1) or '')
        elif (i and re.match(r'^ {0,3}(=+|-+)[ \t]*$', line)
              and lines[i - 1].strip()
              and not re.match(r'^\s*([|>#*+-]|\d+\.)', lines[i - 1])):
            found.append(lines[i - 1].strip())
    return found


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (github-slugger): the rendered
    text lower-cased, every character but letters, digits, ``_``, ``-`` and
    spaces dropped, each space a ``-`` (runs are not collapsed)."""
    rendered = re.sub(r'<[^>]+>', '', heading)
    rendered = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', rendered)
    rendered = rendered.replace('`', '')
    return re.sub(r'[^\w\- ]', '', rendered.strip().lower()).replace(' ', '-')


def anchors(text: str) -> Set[str]:
    """The anchors of a page: heading slugs, the n-th repeat of a slug with
    ``-n`` appended as GitHub does, and explicit ``id``/``name`` anchors."""
    seen: Dict[str, int] = {}
    found = set()
    for heading in _heading_texts(text):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(f'{slug}-{count}' if count else slug)
    found.update(
        re.findall(r'<a\b[^>]*\b(?:id|name)\s*=\s*["\']([^"\']+)["\']',
                   mask_code(text)))
    return found


# --------------------------------------------------------------------------
# Shell: commands in blocks, inline code and comments
# --------------------------------------------------------------------------
class Command(NamedTuple):
    """A simple shell command (words, quotes removed) and its line."""
    line: int
    argv: Tuple[str, ...]


class ScriptCall(NamedTuple):
    """A command that runs a repository script with arguments."""
    script: str
    args: Tuple[str, ...]


_OPERATORS = frozenset({';', ';;', '&&', '||', '|', '|&', '&', '(', ')'})
_REDIRECTS = frozenset({'>', '>>', '<', '>&', '&>', '>|', '<<', '<<<'})
#: Words that prefix a command (after ``;`` or at the start), dropped.
_PREFIX_WORDS = frozenset(
    {'do', 'then', 'else', 'elif', 'if', 'while', 'until', 'time', '!',
     'exec', 'nohup', 'env', '{'})
#: Words that start a line which is no command of its own.
_NOT_COMMANDS = frozenset(
    {'for', 'case', 'done', 'fi', 'esac', 'function', 'select', '}'})
_ASSIGNMENT = re.compile(r'[A-Za-z_]\w*=')
_PYTHON = re.compile(r'(?:\S*/)?python[\d.]*')
#: A script the docs run: under ``tools/`` or ``benchmarks/``, a plain
#: name (``configs/eval_*.py`` or ``tools/X{,y}.py`` is no command).
_SCRIPT = re.compile(r'(?:\./)?((?:tools|benchmarks)/[\w./-]+\.(?:py|sh))')
#: A command quoted in a comment (``# = python tools/study.py ...``), up to
#: the end of the comment or the prose that follows it (``, then ...``).
_COMMENT_COMMAND = re.compile(
    r'(?:^|(?<=[\s=:]))((?:\S*python[\d.]*|bash|sh)\s+(?:\./)?(?:%s)/'
    r'[^,;#()]*)' % '|'.join(TOP_DIRS))
#: Options whose value is a file or folder the command writes.
_OUTPUT_OPTION = re.compile(
    r'-o|--(?:out|output|save|work-dir|show-dir|figure)[\w-]*')


def split_comment(line: str) -> Tuple[str, str]:
    """A shell line's code and its comment: a ``#`` that starts a word
    outside quotes begins a comment; ``a#b``, ``'#'`` and ``${#x}`` do
    not."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in '"\'':
            quote = char
        elif char == '#' and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i + 1:]
    return line, ''


def _words(code: str) -> List[str]:
    """Shell words with quotes removed; operators (``&&``, ``;``, ``|``,
    ``>``...) come as words of their own."""
    # The descriptor of ``2>&1`` would be a word of its own: drop it.
    code = re.sub(r'(?<![\w.-])\d(?=>)', '', code)
    # A placeholder ``<4 ckpts>`` is one word, not two redirections.
    code = re.sub(
        r'<(\S[^<>\n]*\S|\S)>', lambda m: shlex.quote(m.group())
        if "'" not in m.group() else f'"{m.group()}"', code)
    lexer = shlex.shlex(code, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ''
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote: plain words are enough here
        return code.split()


def _simple_commands(code: str) -> List[Tuple[str, ...]]:
    """The simple commands of one logical line: split at ``;``, ``&&``,
    ``||``, pipes and ``&``, with environment assignments (``FOO=1``) and
    keywords (``do``, ``then``, ``time``...) that prefix a command
    dropped."""
    commands = []
    current: List[str] = []
    for word in _words(code) + [';']:
        if word not in _OPERATORS:
            current.append(word)
            continue
        while current and (current[0] in _PREFIX_WORDS
                           or _ASSIGNMENT.match(current[0])):
            current.pop(0)
        if current and current[0] not in _NOT_COMMANDS:
            commands.append(tuple(current))
        current = []
    return commands


def commands_in_comment(comment: str) -> List[Tuple[str, ...]]:
    """The repository-script commands that a comment quotes, e.g.
    ``bash tools/run_demo.sh   # = python tools/study.py CONFIG --jobs 3``.
    """
    return [
        argv for match in _COMMENT_COMMAND.finditer(comment)
        for argv in _simple_commands(match.group(1))
    ]


def shell_commands(lines: Sequence[str], first: int = 1) -> List[Command]:
    """The simple commands of a shell block whose first line is ``first``.

    Lines ending in ``\\`` continue on the next (the command keeps its first
    line's number), comments are dropped but the commands they quote are
    kept, and a console prompt ``$ `` is dropped.
    """
    commands = []
    pending, start = '', None
    for number, raw in enumerate(lines, first):
        line = raw.lstrip()[2:] if raw.lstrip().startswith('$ ') else raw
        code, comment = split_comment(line)
        commands += [
            Command(number, argv) for argv in commands_in_comment(comment)
        ]
        start = number if start is None else start
        if code.rstrip().endswith('\\'):
            pending += code.rstrip()[:-1] + ' '
            continue
        commands += [
            Command(start, argv) for argv in _simple_commands(pending + code)
        ]
        pending, start = '', None
    if pending.strip():
        commands += [
            Command(start, argv) for argv in _simple_commands(pending)
        ]
    return commands


def script_call(argv: Sequence[str]) -> Optional[ScriptCall]:
    """The repository script a command runs, and its arguments.

    ``python [-u ...] S``, ``.venv/bin/python S``, ``bash [-x] S`` and
    ``S`` itself count, with ``S`` under ``tools/`` or ``benchmarks/``;
    ``python -m``/``-c`` and ``bash -c`` run no script. Redirections
    (``> file``) are not the script's arguments.
    """
    if not argv:
        return None
    i = 0
    if _PYTHON.fullmatch(argv[0]) or argv[0] in ('bash', 'sh'):
        i = 1
        while i < len(argv) and argv[i].startswith('-'):
            if argv[i] in ('-m', '-c'):
                return None
            i += 2 if argv[i] in ('-X', '-W') else 1
    if i >= len(argv):
        return None
    script = _SCRIPT.fullmatch(argv[i])
    if script is None:
        return None
    args: List[str] = []
    skip = False
    for word in argv[i + 1:]:
        if skip:
            skip = False
        elif word in _REDIRECTS:  # ``> file``: the file is no argument
            skip = True
        else:
            args.append(word)
    return ScriptCall(script.group(1), tuple(args))


def output_values(argv: Sequence[str]) -> Set[str]:
    """The words a command writes to: values of output options (``--out``,
    ``--work-dir``, ``--figure``...), redirection targets, ``tee``'s
    files."""
    outputs = set(argv[1:]) if argv and argv[0] == 'tee' else set()
    for word, following in zip(argv, list(argv[1:]) + ['']):
        name, equals, value = word.partition('=')
        if word in _REDIRECTS or _OUTPUT_OPTION.fullmatch(word):
            outputs.add(following)
        elif equals and _OUTPUT_OPTION.fullmatch(name):
            outputs.add(value)
    return outputs


def long_options(args: Sequence[str]) -> List[str]:
    """The long options among ``args``, up to a bare ``--``.

    ``--work-dir=DIR`` gives ``--work-dir``; the brackets of usage notation
    (``[--interval N]``) are dropped.
    """
    found = []
    for word in args:
        if word == '--':
            break
        name = word.strip('[]').split('=', 1)[0]
        if re.fullmatch(r'--[A-Za-z0-9][\w-]*', name):
            found.append(name)
    return found


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------
#: A path under a top-level folder, not the tail of a longer path
#: (``/path/to/topgap_mm/configs/x.py``, ``~/.cache/topgap_mm/``); a
#: ``{a,b}`` group is part of it.
_PATH = re.compile(r'(?<![\w./~$-])((?:%s)/(?:[\w.*?<>$@+/-]|\{[^{}\s]*\})*)'
                   % '|'.join(TOP_DIRS))
_CONVENTIONAL_CAPS = ('.md', '.txt', '.rst', '.in')


def _is_caps_placeholder(path: str) -> bool:
    """Whether a component is an upper-case placeholder (``tools/X.py``,
    ``configs/STUDY.py``); ``RESULTS.md``-style page names are real."""
    for part in path.rstrip('/').split('/'):
        stem, ext = osp.splitext(part)
        if (re.fullmatch(r'[A-Z][A-Z0-9_]*', stem)
                and ext not in _CONVENTIONAL_CAPS):
            return True
    return False


def checkable_path(raw: str, outputs: Iterable[str] = ()) -> Optional[str]:
    """The path to check for a path token, or None when it names no file
    that must exist.

    Not checked: outputs (a value of ``--out``/``--work-dir``/... or of a
    redirection on the same command, anything with ``work_dirs``),
    placeholders (``<name>``, ``$VAR``, ``{seed}``, ``{{...}}``, upper-case
    components such as ``CONFIG``) and paths with no file suffix and no
    trailing ``/``. Globs (``*``) and brace lists (``{a,b}``) are checked:
    they must match (see :func:`missing_paths`).
    """
    path = raw.rstrip('.')  # the end of a sentence
    if path in outputs or raw in outputs or 'work_dirs' in path:
        return None
    if re.search(r'[<>$]|\{\{|\{[^,{}]*\}', path) or _is_caps_placeholder(
            path):
        return None
    if not (path.endswith('/') or path.endswith(SUFFIXES)):
        return None
    return path


def expand_braces(path: str) -> List[str]:
    """Bash brace expansion of ``{a,b}`` groups: ``x{,_k}.py`` is ``x.py``
    and ``x_k.py``."""
    parts = re.split(r'(\{[^{}]*,[^{}]*\})', path)
    choices = [
        part[1:-1].split(',') if i % 2 else [part]
        for i, part in enumerate(parts)
    ]
    return [''.join(combo) for combo in itertools.product(*choices)]


def missing_paths(path: str, root: str = ROOT) -> List[str]:
    """The expansions of ``path`` that name nothing under ``root`` (a glob
    must match at least one file; a trailing ``/`` must be a folder)."""
    missing = []
    for each in expand_braces(path):
        full = osp.join(root, each)
        if re.search(r'[*?]', each):
            found = bool(glob.glob(full))
        elif each.endswith('/'):
            found = osp.isdir(full)
        else:
            found = osp.exists(full)
        if not found:
            missing.append(each)
    return missing


def path_mentions(text: str) -> List[Tuple[int, str]]:
    """``(line, path)`` of every checkable path the page names: in fenced
    blocks, inline code and prose (link targets aside: those are links)."""
    found = []
    for block in fenced_blocks(text):
        outputs = set()
        if block.lang in SHELL_LANGS:
            for command in shell_commands(block.lines, block.first):
                outputs |= output_values(command.argv)
        for number, line in enumerate(block.lines, block.first):
            found += [(number, match.group(1), outputs)
                      for match in _PATH.finditer(line)]
    for span in inline_code_spans(text):
        outputs = set()
        for command in shell_commands([span.code], span.line):
            outputs |= output_values(command.argv)
        found += [(span.line, match.group(1), outputs)
                  for match in _PATH.finditer(span.code)]
    prose = mask_code(text)
    prose = _blank(prose, ((start, end)
                           for start, end, _ in _link_matches(prose)))
    found += [(line_of(prose, match.start()), match.group(1), set())
              for match in _PATH.finditer(prose)]
    checkable = [(line, checkable_path(raw, outputs))
                 for line, raw, outputs in sorted(found, key=lambda f: f[0])]
    return [(line, path) for line, path in checkable if path]


def page_commands(text: str) -> List[Command]:
    """The commands of a page's shell blocks and of its inline code spans
    that run a repository script."""
    commands = []
    for block in fenced_blocks(text):
        if block.lang in SHELL_LANGS:
            commands += shell_commands(block.lines, block.first)
    for span in inline_code_spans(text):
        # A bare script name in prose is a path, not a command: an inline
        # command has an interpreter or arguments (`tools/test.py --out`).
        commands += [
            command for command in shell_commands([span.code], span.line)
            if script_call(command.argv) and len(command.argv) > 1
        ]
    return sorted(commands, key=lambda command: command.line)


# --------------------------------------------------------------------------
# What a script accepts, read statically
# --------------------------------------------------------------------------
class Interface(NamedTuple):
    """A script's command line: the options it accepts, the literal words a
    positional argument may be (``{1: {'demo', 'full'}}``; none: any), and
    where its arguments from ``forward_from`` on (1-based; 0: after a bare
    ``--``) go."""
    options: FrozenSet[str]
    words: Dict[int, FrozenSet[str]]
    forward_from: Optional[int] = None
    forward_to: Optional[str] = None


class _Module(NamedTuple):
    tree: ast.Module
    defs: Dict[str, ast.AST]
    imports: Dict[str, Tuple[str, Optional[str]]]


def _resolve_module(dotted: str, level: int, importer: str,
                    root: str) -> Optional[str]:
    """The file of a module imported by ``importer``, if it is in the
    repository: absolute imports from ``root`` (``topgap_mm.x``) or from
    the importer's folder (``from common import ...`` in ``benchmarks/``),
    relative ones from the importer's package."""
    parts = dotted.split('.') if dotted else []
    if level:
        base = osp.dirname(importer)
        for _ in range(level - 1):
            base = osp.dirname(base)
        bases = [base]
    elif parts:
        bases = [root, osp.dirname(importer)]
    else:
        return None
    for base in bases:
        stem = osp.join(base, *parts)
        # ``from . import x`` names the package itself: no ``stem.py``.
        candidates = [stem + '.py'] if parts else []
        for candidate in candidates + [osp.join(stem, '__init__.py')]:
            if osp.isfile(candidate):
                return candidate
    return None


@functools.lru_cache(maxsize=None)
def _module(path: str, root: str) -> _Module:
    """A module's syntax tree, its top-level functions and what its imports
    bind: a local name to ``(file, None)`` for a module or ``(file, name)``
    for a name from a module."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    defs = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    imports: Dict[str, Tuple[str, Optional[str]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                file = _resolve_module(alias.name, 0, path, root)
                if file:
                    imports[alias.asname or alias.name] = (file, None)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_module(node.module or '', node.level, path, root)
            for alias in node.names:
                sub = _resolve_module(
                    '.'.join(filter(None, [node.module, alias.name])),
                    node.level, path, root)
                local = alias.asname or alias.name
                if sub:
                    imports[local] = (sub, None)
                elif base:
                    imports[local] = (base, alias.name)
    return _Module(tree, defs, imports)


def _dotted(node: ast.AST) -> Optional[str]:
    """``a.b.c`` for a name or attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f'{head}.{node.attr}' if head else None
    return None


def _function(path: str, name: str, root: str, hops: int = 0):
    """``(file, FunctionDef)`` of a function, following re-exports (a
    package's ``__init__`` importing it from a submodule)."""
    module = _module(path, root)
    if name in module.defs:
        return path, module.defs[name]
    file, attr = module.imports.get(name, (None, None))
    if attr and hops < 5:
        return _function(file, attr, root, hops + 1)
    return None


def _called_function(path: str, dotted: str, root: str):
    """The repository function a call in ``path`` names, if any."""
    module = _module(path, root)
    if dotted in module.defs:
        return path, module.defs[dotted]
    if dotted in module.imports:
        file, attr = module.imports[dotted]
        return _function(file, attr, root) if attr else None
    head, _, attr = dotted.rpartition('.')
    if head in module.imports and module.imports[head][1] is None:
        return _function(module.imports[head][0], attr, root)
    return None


def python_options(script: str, root: str = ROOT) -> FrozenSet[str]:
    """The options (long and short) a Python script's argparse accepts.

    Every ``add_argument('--x', '-x', ...)`` in the script counts, and
    those of the repository functions it calls, transitively (a parser
    built by ``topgap_mm.x.add_common_args(parser)``); a helper's other
    functions, never called, do not.
    """
    options = {'-h', '--help'}
    seen = set()
    todo = [(script, _module(script, root).tree)]
    while todo:
        path, node = todo.pop()
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            if (isinstance(call.func, ast.Attribute)
                    and call.func.attr == 'add_argument'):
                options.update(
                    arg.value for arg in call.args
                    if isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and arg.value.startswith('-'))
            dotted = _dotted(call.func)
            target = dotted and _called_function(path, dotted, root)
            if target and (target[0], target[1].name) not in seen:
                seen.add((target[0], target[1].name))
                todo.append(target)
    return frozenset(options)


_CASE = re.compile(r'^\s*case\s+"?\$\{?(\w+)[^\s"]*"?\s+in\b(.*?)^\s*esac\b',
                   re.M | re.S)
_CASE_CLAUSE = re.compile(r'^\s*\(?\s*([^()\n]+?)\s*\)', re.M)
_POSITIONAL = re.compile(r'(?<![\w$])(\w+)=["\']?\$\{?(\d)\b')
_FORWARD = re.compile(r'"\$\{@:(\d+)\}"')
_RUNS = re.compile(r'\$\(dirname "?\$0"?\)/([\w./-]+\.py)')


def shell_interface(script: str, root: str = ROOT) -> Interface:
    """What a shell script accepts, from its source.

    ``case`` statements on a positional argument (``$1``, or a variable set
    from one: ``which=${1:-demo}``) give the options (``--out)``) and the
    literal words (``demo | full)``) it accepts there. A script that passes
    ``"${@:N}"`` to the one ``$(dirname "$0")/X.py`` it runs forwards its
    arguments from the N-th on to ``X.py``.
    """
    with open(osp.join(root, script), encoding='utf-8') as f:
        text = f.read()
    bound = {name: int(index) for name, index in _POSITIONAL.findall(text)}
    options: Set[str] = set()
    words: Dict[int, Set[str]] = {}
    for case in _CASE.finditer(text):
        subject = case.group(1)
        index = int(subject) if subject.isdigit() else bound.get(subject)
        if index is None:
            continue
        for clause in _CASE_CLAUSE.finditer(case.group(2)):
            alternatives = [
                word.strip().strip('"\'')
                for word in clause.group(1).split('|')
            ]
            if not all(re.fullmatch(r'[\w.*?-]+', word)
                       for word in alternatives):
                continue  # a ')' in a message, not a pattern
            for word in alternatives:
                if word.startswith('-'):
                    options.add(word)
                elif not re.search(r'[*?]', word):
                    words.setdefault(index, set()).add(word)
    forward = _FORWARD.search(text)
    runs = set(_RUNS.findall(text))
    forward_to = None
    if forward and len(runs) == 1:
        forward_to = osp.normpath(osp.join(osp.dirname(script), runs.pop()))
    return Interface(
        frozenset(options),
        {index: frozenset(found)
         for index, found in words.items()},
        int(forward.group(1)) if forward_to else None, forward_to)


def script_interface(script: str, root: str = ROOT) -> Interface:
    """What a repository script (``tools/x.py``, ``tools/x.sh``)
    accepts."""
    if script.endswith('.sh'):
        return shell_interface(script, root)
    return Interface(
        python_options(osp.join(root, script), root), {},
        0 if script in PASSES_ON_AFTER_DASHES else None,
        PASSES_ON_AFTER_DASHES.get(script))


def call_problems(call: ScriptCall, root: str = ROOT) -> List[str]:
    """What is wrong with a documented command: a missing script, an option
    the script (or the script it passes the option on to) does not accept,
    a word a shell script's ``case`` does not know."""
    if not osp.isfile(osp.join(root, call.script)):
        return [f'{call.script} does not exist']
    interface = script_interface(call.script, root)
    args = list(call.args)
    own, passed = args, []
    if interface.forward_from == 0 and '--' in args:
        own, passed = args[:args.index('--')], args[args.index('--') + 1:]
    elif interface.forward_from:
        own = args[:interface.forward_from - 1]
        passed = args[interface.forward_from - 1:]
    problems = [
        f'{call.script} accepts no option {option}'
        for option in long_options(own) if option not in interface.options
    ]
    if passed and interface.forward_to:
        target = script_interface(interface.forward_to, root)
        problems += [
            f'{interface.forward_to} (which {call.script} passes it on to) '
            f'accepts no option {option}' for option in long_options(passed)
            if option not in target.options
        ]
    positionals = [word for word in own if not word.startswith('-')]
    for index, allowed in sorted(interface.words.items()):
        if index > len(positionals):
            continue
        word = positionals[index - 1]
        # Only literal words: $VAR and CONFIG-style placeholders are free.
        if re.fullmatch(r'[a-z0-9][\w.-]*', word) and word not in allowed:
            problems.append(
                f'{call.script} does not know {word!r} as argument {index} '
                f'(it knows {", ".join(sorted(allowed))})')
    return problems


# --------------------------------------------------------------------------
# Known-answer tests of the extractors
# --------------------------------------------------------------------------
def test_fenced_blocks_known_answer():
    """Catches: a block closed by any fence (the inner ``` of a ````
    block), tilde fences missed, an unclosed block dropped, the info
    string's extras (``{.bash}``, ``title=``) taken for the language, and
    body line numbers one off."""
    text = '\n'.join([
        'intro',  # 1
        '```bash title="x"',  # 2
        'echo one',  # 3
        '```',  # 4
        '````markdown',  # 5
        '```',  # 6
        'shown fence',  # 7
        '````',  # 8
        '~~~{.shell}',  # 9
        'echo two',  # 10
        '~~~',  # 11
        '```',  # 12
        'never closed',  # 13
    ])
    blocks = fenced_blocks(text)
    assert [(b.lang, b.first, b.lines) for b in blocks] == [
        ('bash', 3, ('echo one', )),
        ('markdown', 6, ('```', 'shown fence')),
        ('shell', 10, ('echo two', )),
        ('', 13, ('never closed', )),
    ]
    assert blank_fences(text).split('\n')[:5] == ['intro', '', '', '', '']


def test_inline_code_spans_known_answer():
    """Catches: a one-backtick regex (that splits ``` ``a ` b`` ```), a
    span running across a paragraph break, code in fenced blocks taken for
    inline code, an escaped backtick opening a span, and line numbers of a
    span's end instead of its start."""
    text = ('a `x` b ``y ` z`` \\`not code `multi\n'
            'line` d `never\n\nclosed`\n```\n`fenced`\n```\n')
    spans = inline_code_spans(text)
    assert [(s.line, s.code) for s in spans] == [(1, 'x'), (1, 'y ` z'),
                                                 (1, 'multi line')]
    assert 'x' not in mask_code(text) and 'multi' not in mask_code(text)
    assert mask_code(text).count('\n') == text.count('\n')


def test_links_known_answer():
    """Catches: links inside code spans or blocks counted, a title taken
    into the target, nested brackets in the text breaking the match,
    images, reference definitions and HTML ``src`` missed, and wrong
    lines."""
    text = '\n'.join([
        'See [a](b.md) and ![img](_static/x.png "a title").',  # 1
        'A [text [with] brackets](c.md#some-heading), `[no](code.md)`.',
        '[ref]: d.md',  # 3
        '<img src="e.png" width="10">',  # 4
        '```',
        '[no](fenced.md)',
        '```',
        '[web](https://example.com/x.md) [top](#intro) [p](<f g.md>)',  # 8
    ])
    assert links(text) == [
        Link(1, 'b.md'),
        Link(1, '_static/x.png'),
        Link(2, 'c.md#some-heading'),
        Link(3, 'd.md'),
        Link(4, 'e.png'),
        Link(8, 'https://example.com/x.md'),
        Link(8, '#intro'),
        Link(8, 'f g.md'),
    ]


def test_github_slug_known_answer():
    """Catches: punctuation kept, runs of hyphens collapsed (GitHub keeps
    ``a---b``), inline code's backticks or a link's URL kept, ``_``
    dropped, repeated headings not numbered, ``#`` lines in code blocks
    taken for headings, setext headings missed."""
    assert (github_slug('Studies: Top-GAP against its twin, over seeds') ==
            'studies-top-gap-against-its-twin-over-seeds')
    assert github_slug('`tools/study.py`: pairs') == 'toolsstudypy-pairs'
    assert github_slug('A - B (c) [d](x.md)') == 'a---b-c-d'
    assert github_slug('keep_under score') == 'keep_under-score'
    text = ('# Title\n\n## Usage\n\n```bash\n# not a heading\n```\n'
            '## Usage ##\n\nSetext\n------\n')
    assert anchors(text) == {'title', 'usage', 'usage-1', 'setext'}


def test_path_mentions_known_answer():
    """Catches: the tail of a longer path taken for a repository path, a
    sentence's full stop kept, outputs (``--out``, redirection,
    ``work_dirs``) and placeholders (``CONFIG``, ``<x>``, ``{seed}``)
    checked, ``RESULTS.md`` taken for a placeholder, suffix-less words
    checked, prose or inline code ignored."""
    text = '\n'.join([
        'Run `python tools/train.py configs/a.py` (see docs/en/r.md.)',  # 1
        '`/path/to/topgap_mm/configs/b.py`, `~/.cache/topgap_mm/`',  # 2
        '`tools/X.py CONFIG`, `configs/<name>.py`, `docs/{seed}.png`',  # 3
        '`configs/eval_*.py`, `configs/x{,_k16}.py`, `configs/topgap/`',
        '`work_dirs/demo/report.md`, `benchmarks/RESULTS.md`, `tests` [l]'
        '(docs/link.md)',  # 5
        '```bash',  # 6
        'python tools/a.py --out docs/out.png --figure=docs/f.png > tests/'
        'log.txt',  # 7
        'python tools/b.py docs/in.png  # writes configs/c.py',  # 8
        '```',
    ])
    assert path_mentions(text) == [
        (1, 'tools/train.py'),
        (1, 'configs/a.py'),
        (1, 'docs/en/r.md'),
        (4, 'configs/eval_*.py'),
        (4, 'configs/x{,_k16}.py'),
        (4, 'configs/topgap/'),
        (5, 'benchmarks/RESULTS.md'),
        (7, 'tools/a.py'),
        (8, 'tools/b.py'),
        (8, 'docs/in.png'),
        (8, 'configs/c.py'),
    ]


def test_expand_braces_and_missing_paths(tmp_path):
    """Catches: brace lists not expanded (``{,_k16}`` checked literally),
    an empty alternative lost, globs checked as literal names, a file
    accepted where the trailing ``/`` says folder."""
    assert expand_braces('c/x{,_k16}_l{a,b}.py') == [
        'c/x_la.py', 'c/x_lb.py', 'c/x_k16_la.py', 'c/x_k16_lb.py'
    ]
    (tmp_path / 'configs').mkdir()
    (tmp_path / 'configs' / 'x.py').write_text('')
    (tmp_path / 'configs' / 'eval_a.py').write_text('')
    assert missing_paths('configs/x{,_k16}.py', str(tmp_path)) == [
        'configs/x_k16.py'
    ]
    assert missing_paths('configs/eval_*.py', str(tmp_path)) == []
    assert missing_paths('configs/none_*.py', str(tmp_path)) == [
        'configs/none_*.py'
    ]
    assert missing_paths('configs/', str(tmp_path)) == []
    assert missing_paths('configs/x.py/', str(tmp_path)) == ['configs/x.py/']


def test_shell_commands_known_answer():
    """Catches: continuation lines not joined (or numbered by their last
    line), ``#`` inside quotes or words taken for a comment, a command
    quoted in a comment lost, ``FOO=1`` or ``do`` taken for the command,
    ``&&`` / ``;`` not splitting, a console prompt kept, a ``<name>``
    placeholder split into redirections."""
    lines = [
        '# set up first',  # 1
        'FOO=1 BAR=2 python tools/a.py --x "a # b" \\',  # 2
        '    --y=1  # tail',  # 3
        'bash tools/s.sh && .venv/bin/python -m pytest tests',  # 4
        'for s in 0 1; do bash tools/r.sh loc $s; done',  # 5
        'bash tools/r.sh   # = python tools/b.py c.py --jobs 3, then more',
        '$ python tools/c.py#x',  # 7
        'CFG=configs/x.py',  # 8
        'python tools/e.py --paper <4 ckpts> --out <x>',  # 9
    ]
    assert shell_commands(lines) == [
        Command(2, ('python', 'tools/a.py', '--x', 'a # b', '--y=1')),
        Command(4, ('bash', 'tools/s.sh')),
        Command(4, ('.venv/bin/python', '-m', 'pytest', 'tests')),
        Command(5, ('bash', 'tools/r.sh', 'loc', '$s')),
        Command(6, ('python', 'tools/b.py', 'c.py', '--jobs', '3')),
        Command(6, ('bash', 'tools/r.sh')),
        Command(7, ('python', 'tools/c.py#x')),
        Command(9, ('python', 'tools/e.py', '--paper', '<4 ckpts>', '--out',
                    '<x>')),
    ]


def test_page_commands_known_answer():
    """Catches: a bare script name in prose taken for a command (it is a
    path), inline commands or non-shell blocks' lines missed or taken."""
    text = '\n'.join([
        'Run `tools/dist_train.sh`, `tools/test.py --out` or',  # 1
        '`bash tools/run_demo.sh full`.',  # 2
        '```python',
        'python tools/no.py',
        '```',
        '```shell',
        'pip install x && python tools/yes.py',  # 7
        '```',
    ])
    assert page_commands(text) == [
        Command(1, ('tools/test.py', '--out')),
        Command(2, ('bash', 'tools/run_demo.sh', 'full')),
        Command(7, ('pip', 'install', 'x')),
        Command(7, ('python', 'tools/yes.py')),
    ]


def test_script_call_known_answer():
    """Catches: interpreter options taken for the script, ``python -m``
    taken for a script, scripts outside the repository's folders taken,
    a ``./`` prefix kept, redirections taken for arguments."""
    assert script_call(['python', '-u', 'tools/a.py', 'x', '>', 'o.txt'
                        ]) == ScriptCall('tools/a.py', ('x', ))
    assert script_call(['.venv/bin/python3.11', './benchmarks/b.py'
                        ]) == ScriptCall('benchmarks/b.py', ())
    assert script_call(_words('bash -x tools/r.sh full 2 2>&1')) == ScriptCall(
        'tools/r.sh', ('full', '2'))
    assert script_call(_words('python tools/f.py a <in.txt >out.txt')
                       ) == ScriptCall('tools/f.py', ('a', ))
    assert script_call(['tools/x.py', '--out']) == ScriptCall(
        'tools/x.py', ('--out', ))
    assert script_call(['python', '-m', 'tools.a']) is None
    assert script_call(['python', 'my_script.py']) is None
    assert script_call(['benchmarks/configs/eval_*.py', 'x']) is None
    assert script_call(['python', 'configs/a.py']) is None
    assert script_call(['pip', 'install', 'tools/x.py']) is None


def test_long_options_known_answer():
    """Catches: ``--x=v`` checked with its value, usage brackets kept,
    options after a bare ``--`` (another program's) checked as the
    script's, short options or ``key=value`` words taken for long
    options."""
    args = ['c.py', '[--interval', 'N]', '--work-dir=d', '-o', 'x',
            '--cfg-options', 'a.b=1', '--', '--amp']
    assert long_options(args) == ['--interval', '--work-dir', '--cfg-options']


def test_python_options_follow_called_helpers(tmp_path):
    """Catches: options of helper functions the script calls (through a
    package re-export or a module attribute) missed, and options of a
    helper's other, uncalled functions accepted."""
    package = tmp_path / 'pkg'
    package.mkdir()
    (package / '__init__.py').write_text('from .cli import add_common\n')
    (package / 'cli.py').write_text(
        'def add_common(parser):\n'
        "    parser.add_argument('--common', '-c')\n"
        '    _more(parser)\n\n\n'
        'def _more(parser):\n'
        "    parser.add_argument('--more')\n\n\n"
        'def unused(parser):\n'
        "    parser.add_argument('--unused')\n")
    (tmp_path / 'sib.py').write_text(
        "def extra(p):\n    p.add_argument('--sibling')\n")
    script = tmp_path / 'tool.py'
    script.write_text(
        'import argparse\n'
        'import sib\n'
        'from pkg import add_common\n'
        'parser = argparse.ArgumentParser()\n'
        "group = parser.add_argument_group('g')\n"
        "group.add_argument('--own', '--own-alias', type=int)\n"
        "parser.add_argument('positional')\n"
        'add_common(parser)\n'
        'sib.extra(parser)\n')
    assert python_options(str(script), str(tmp_path)) == {
        '-h', '--help', '--own', '--own-alias', '--common', '-c', '--more',
        '--sibling'
    }


def test_shell_interface_and_call_problems(tmp_path):
    """Catches: a ``case`` on a variable set from ``$1`` not tied to the
    first argument, a message's ``(...)`` taken for a pattern, options of
    a flag loop missed, arguments a script passes on checked against the
    script instead of the one it runs, a missing script not reported."""
    tools = tmp_path / 'tools'
    tools.mkdir()
    (tools / 'demo.sh').write_text(
        'which=${1:-demo}\n'
        'case $which in\n'
        '    demo | full) ;;\n'
        '    *) echo "unknown (the" \\\n'
        '            "main job), full" >&2 ;;\n'
        'esac\n'
        'while [ $# -gt 0 ]; do\n'
        '    case $1 in\n'
        '        --quick) shift ;;\n'
        '        -h | --help) exit 0 ;;\n'
        '    esac\n'
        'done\n')
    (tools / 'dist.sh').write_text(
        'CONFIG=$1\nGPUS=$2\n'
        'python "$(dirname "$0")/train.py" "$CONFIG" --launcher x "${@:3}"\n')
    (tools / 'train.py').write_text(
        "import argparse\nargparse.ArgumentParser().add_argument('--amp')\n")
    root = str(tmp_path)
    assert shell_interface('tools/demo.sh', root) == Interface(
        frozenset({'--quick', '-h', '--help'}),
        {1: frozenset({'demo', 'full'})})
    assert shell_interface('tools/dist.sh', root) == Interface(
        frozenset(), {}, 3, 'tools/train.py')

    def problems(*argv):
        return call_problems(script_call(argv), root)

    assert problems('bash', 'tools/demo.sh', 'full', '--quick') == []
    assert problems('bash', 'tools/demo.sh', '$JOB') == []
    assert problems('bash', 'tools/demo.sh', 'ful') == [
        "tools/demo.sh does not know 'ful' as argument 1 "
        '(it knows demo, full)'
    ]
    assert problems('bash', 'tools/dist.sh', 'C', '8', '--amp') == []
    assert problems('bash', 'tools/dist.sh', 'C', '8', '--fast') == [
        'tools/train.py (which tools/dist.sh passes it on to) accepts no '
        'option --fast'
    ]
    assert problems('python', 'tools/train.py', '--amp', '--fp16') == [
        'tools/train.py accepts no option --fp16'
    ]
    assert problems('python', 'tools/gone.py') == [
        'tools/gone.py does not exist'
    ]


# --------------------------------------------------------------------------
# The checks of the real docs
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _read(page: str) -> str:
    with open(osp.join(ROOT, page), encoding='utf-8') as f:
        return f.read()


PAGES = doc_pages()
_EXTERNAL = re.compile(r'^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)')  # http:, mailto:
LINKS = [(page, link) for page in PAGES for link in links(_read(page))
         if not _EXTERNAL.match(link.target)]
PATHS = [(page, line, path) for page in PAGES
         for line, path in path_mentions(_read(page))]
CONFIGS = [(page, line, each) for page, line, path in PATHS
           for each in expand_braces(path)
           if each.startswith('configs/') and each.endswith('.py')
           and not re.search(r'[*?]', each)]
COMMANDS = [(page, command.line, call) for page in PAGES
            for command in page_commands(_read(page))
            for call in [script_call(command.argv)] if call]


def _split_target(page: str, target: str) -> Tuple[str, str]:
    """A link target's file, relative to the repository root (``''`` for
    the page itself) and its anchor. ``/x`` is from the root, as on
    GitHub."""
    path, _, anchor = unquote(target).partition('#')
    path = path.split('?', 1)[0]
    if not path:
        return '', anchor
    if path.startswith('/'):
        return osp.normpath(path.lstrip('/')), anchor
    return osp.normpath(osp.join(osp.dirname(page), path)), anchor


def test_the_docs_are_scanned():
    """The discovery and the extractors find the docs' content, so the
    parametrised checks below cannot pass by checking nothing."""
    assert 'README.md' in PAGES
    assert any(page.startswith('docs/') for page in PAGES)
    assert LINKS and PATHS and CONFIGS and COMMANDS


@pytest.mark.parametrize(
    'page,link',
    [pytest.param(page, link, id=f'{page}:{link.line}:{link.target}')
     for page, link in LINKS if _split_target(page, link.target)[0]])
def test_link_target_exists(page, link):
    """A relative link or image resolves to a file or folder in the
    repository (GitHub resolves it from the page's folder)."""
    path, _ = _split_target(page, link.target)
    assert not path.startswith('..'), (
        f'{page}:{link.line}: {link.target} leaves the repository')
    assert osp.exists(osp.join(ROOT, path)), (
        f'{page}:{link.line}: {link.target} -> {path} does not exist')


def _anchor_on_a_page(page: str, target: str) -> bool:
    """Whether ``target`` is an anchor on an existing Markdown page. Anchors
    into other kinds of files (``x.py#L10``) are GitHub's line anchors, and
    a link to a missing page fails :func:`test_link_target_exists`."""
    path = _split_target(page, target)[0] or page
    return '#' in target and path.endswith('.md') and osp.isfile(
        osp.join(ROOT, path))


@pytest.mark.parametrize(
    'page,link',
    [pytest.param(page, link, id=f'{page}:{link.line}:{link.target}')
     for page, link in LINKS if _anchor_on_a_page(page, link.target)])
def test_link_anchor_exists(page, link):
    """An anchor (``#x`` on the page, ``page.md#x`` on another page) is a
    heading of the target page by GitHub's slug rule."""
    path, anchor = _split_target(page, link.target)
    path = path or page
    assert anchor in anchors(_read(path)), (
        f'{page}:{link.line}: {path} has no heading with the anchor '
        f'#{anchor}')


@pytest.mark.parametrize(
    'page,line,path',
    [pytest.param(*mention, id=f'{mention[0]}:{mention[1]}:{mention[2]}')
     for mention in PATHS])
def test_named_path_exists(page, line, path):
    """A repository path the page names exists (a glob matches, every
    brace alternative exists, a trailing ``/`` is a folder)."""
    missing = missing_paths(path)
    assert not missing, (
        f'{page}:{line}: {", ".join(missing)} does not exist (paths in the '
        'docs are from the repository root)')


@functools.lru_cache(maxsize=None)
def _config_error(path: str) -> Optional[str]:
    try:
        Config.fromfile(osp.join(ROOT, path))
    except Exception as error:  # any failure is the answer
        return f'{type(error).__name__}: {error}'
    return None


@pytest.mark.parametrize(
    'page,line,path',
    [pytest.param(*config, id=f'{config[0]}:{config[1]}:{config[2]}')
     for config in CONFIGS if osp.isfile(osp.join(ROOT, config[2]))])
def test_named_config_loads(page, line, path):
    """A config the page names loads (each file once, however often it is
    named; a missing one fails :func:`test_named_path_exists`)."""
    error = _config_error(path)
    assert error is None, f'{page}:{line}: {path} does not load: {error}'


@pytest.mark.parametrize(
    'page,line,call',
    [pytest.param(*command, id=f'{command[0]}:{command[1]}:'
                  f'{command[2].script}') for command in COMMANDS])
def test_command_is_accepted(page, line, call):
    """A documented command runs a script that exists, with options (and
    ``case`` words) that the script accepts."""
    problems = call_problems(call)
    assert not problems, f'{page}:{line}: ' + '; '.join(problems)


def schema_table(text: str, heading: str) -> Dict[str, str]:
    """The first column's keys of the table under ``heading``, each with
    its second column (a key cell may name several keys, comma-separated).
    """
    section = text.split(heading, 1)[1].split('\n## ', 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) < 3 or not cells[0].startswith('`'):
            continue
        for key in re.findall(r'`(\w+)`', cells[0]):
            rows[key] = cells[1]
    return rows


def test_schema_table_known_answer():
    """A table parser that kept only the first key of a cell, or read the
    rows of the next section, would fail here."""
    text = ('## The dict\n\n| key | default | what |\n|---|---|---|\n'
            '| `a`, `b` | `[]` | x |\n| `c` | (required) | y |\n\n'
            '## Next\n\n| `d` | `1` | z |\n')
    assert schema_table(text, '## The dict') == {
        'a': '`[]`', 'b': '`[]`', 'c': '(required)'}


def test_study_schema_matches_spec_defaults():
    """The studies guide's table of the `study` dict lists every key the
    spec knows, with the spec's own defaults, and no other key."""
    from topgap_mm.study.spec import DEFAULTS
    rows = schema_table(
        _read('docs/en/user_guides/studies.md'), '## The `study` dict')
    assert set(rows) == set(DEFAULTS) | {'pairs'}
    assert rows.pop('pairs') == '(required)'
    for key, cell in rows.items():
        documented = eval(cell.strip('`'), {'dict': dict})
        assert documented == DEFAULTS[key], (key, cell, DEFAULTS[key])
