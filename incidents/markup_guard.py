"""What Python-Markdown would spend on a text, estimated in one linear pass, before it is asked.

Python-Markdown is quadratic on some inputs (8,000 "[" took 10 s, 20,000 took minutes) and
recurses once per list marker on a line ("1. 1. 1. …" raises RecursionError). Those inputs
are rare in what people write and easy to type on purpose, so the renderer asks this module
first: a text whose estimated cost is over the budget is shown as plain paragraphs instead
(incidents/markup.py), and every other text renders exactly as before.

The estimate counts, per block (text between blank lines, as the parser splits it), the
characters the parser's slow scans would walk:

- each "[" scans to its "]", or to the end of its block if it has none (links, images,
  references, footnotes, abbreviations all start with that scan);
- each "](" scans its parentheses the same way (a link's address);
- each "<" that could start a tag scans to the next ">" (inline HTML and the HTML parser);
- each line that splits a block (a setext underline, a rule, an ATX heading, a definition)
  makes the parser search the rest of its block again;
- each inline match (emphasis, code, an escape, an entity, a "[a][b][c]" chain) rebuilds the
  text of its paragraph, list item or table row;
- each code fence and indented block searches the rest of the text; each list item is
  linear but dear (thousands of them take a second).

Lists and quotes nested deeper than MAX_NESTING on one line or by indentation are over the
budget outright: the parser recurses once per level.

The weights are the measured cost of one step of each, relative to the bracket scan (see
benchmarks/README.md, "Markdown worst cases").
"""

from __future__ import annotations

import re

# About 450 ns a unit on the test machine: the budget is some 70 ms of slow scanning.
BUDGET = 150_000

# Lists and quotes nest by recursion, one level per marker.
MAX_NESTING = 16

_BLANK_LINE = r"\n[ \t]*(?:\n|$)"
_BRACKETS = re.compile(rf"\]\(|[\[\]()]|{_BLANK_LINE}")
_ANGLES = re.compile(r"<[A-Za-z/!?]|>")
_BLOCK_SPLITTING_LINE = re.compile(
    r"^(?:[ ]{0,3}(?:=+|-+)[ \t]*$"  # setext underline (and a rule of hyphens)
    r"|[ ]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$"  # a rule
    r"|[ ]{0,3}#{1,6}(?:[ \t]|$)"  # ATX heading
    r"|:[ \t])",  # definition
    re.MULTILINE,
)
_TOO_DEEP = re.compile(
    r"^(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))){" + str(MAX_NESTING + 1) + "}",
    re.MULTILINE,
)
# A list item indented past MAX_NESTING levels (four columns or a tab each) nests as deep.
_INDENTED_TOO_DEEP = re.compile(
    r"^(?: {4}|\t| {1,3}\t){" + str(MAX_NESTING + 1) + r"}[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]",
    re.MULTILINE,
)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")

# Each inline match (emphasis, code, an escape, an entity…) rebuilds its paragraph's text.
_INLINE_MATCH = re.compile(r"\\.|`+|\*+|(?<!\w)_+|_+(?!\w)|&#?\w+;|[<&|~]")
# "[a][b][c]…": each pair is tried as a reference ("[INFO][main]" in a log is not a chain).
_REFERENCE_CHAIN = re.compile(r"(?:\[[^\[\]\n]*\]){3,}")
# Where one unit of inline text ends: a blank line, a list item, a table row.
_INLINE_UNIT_START = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t])|\n(?=[^\n]*\|)")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE)
_FENCE = re.compile(r"^[ ]{0,3}(?:`{3,}|~{3,})", re.MULTILINE)
_INDENTED_BLOCK = re.compile(r"\n[ \t]*\n(?: {4}|\t)")

# Each step's cost relative to a step of the bracket scan (measured: see the README).
TAG_WEIGHT = 8
SPLIT_WEIGHT = 6
INLINE_WEIGHT = 40
FENCE_WEIGHT = 75
INDENTED_WEIGHT = 40
LIST_ITEM_STEPS = 60  # a list item costs some 25 µs: a 20,000-character text holds 5,000


def _bracket_cost(text: str) -> int:
    """Steps of the link scans: every "[" and "](" to its partner, or to the block's end."""
    cost = 0
    squares: list[int] = []
    parens: list[tuple[int, bool]] = []  # (position, opened by "](": a link's address)
    for found in _BRACKETS.finditer(text):
        token, at = found[0], found.start()
        if token == "[":
            squares.append(at)
        elif token == "]":
            if squares:
                cost += at - squares.pop()
        elif token == "](":
            if squares:
                cost += at - squares.pop()
            parens.append((at + 1, True))
        elif token == "(":
            parens.append((at, False))
        elif token == ")":
            if parens:
                start, address = parens.pop()
                cost += at - start if address else 0
        else:  # a blank line: nothing matches across it
            cost += sum(at - start for start in squares)
            cost += sum(at - start for start, address in parens if address)
            squares.clear()
            parens.clear()
    end = len(text)
    cost += sum(end - start for start in squares)
    cost += sum(end - start for start, address in parens if address)
    return cost


def _tag_cost(text: str) -> int:
    """Steps of the tag scans: every "<" that could open a tag to the next ">"."""
    cost = 0
    opened: list[int] = []
    for found in _ANGLES.finditer(text):
        if found[0] == ">":
            cost += sum(found.start() - start for start in opened)
            opened.clear()
        else:
            opened.append(found.start())
    return cost + sum(len(text) - start for start in opened)


def _split_cost(text: str) -> int:
    """Steps of the block parser's searches of what remains of a block after each split."""
    cost = 0
    for block in _BLANK_LINES.split(text):
        lines = sum(1 for _ in _BLOCK_SPLITTING_LINE.finditer(block))
        if lines > 1:
            cost += lines * len(block)
    return cost


def _inline_cost(text: str) -> int:
    """Inline matches times the length of the text each is made in."""
    cost = 0
    start = 0
    for end in [*(m.start() for m in _INLINE_UNIT_START.finditer(text)), len(text)]:
        if end - start > 200:
            matches = sum(1 for _ in _INLINE_MATCH.finditer(text, start, end))
            matches += sum(m[0].count("][") for m in _REFERENCE_CHAIN.finditer(text, start, end))
            cost += matches * (end - start)
        start = end
    return cost


def _whole_text_cost(text: str) -> int:
    """Fenced code and indented blocks are found by searching the rest of the text; list
    items are linear, but dear enough that thousands of them take a second."""
    fences = sum(1 for _ in _FENCE.finditer(text))
    indented = sum(1 for _ in _INDENTED_BLOCK.finditer(text))
    items = sum(1 for _ in _LIST_ITEM.finditer(text))
    return (
        fences * len(text) // FENCE_WEIGHT
        + indented * len(text) // INDENTED_WEIGHT
        + items * LIST_ITEM_STEPS
    )


_WEIGHTED = (
    (_bracket_cost, 1),
    (_tag_cost, TAG_WEIGHT),
    (_split_cost, SPLIT_WEIGHT),
    (_inline_cost, INLINE_WEIGHT),
)


def formatting_cost(text: str) -> int:
    """The estimated slow work of rendering `text`, in bracket-scan steps."""
    if _TOO_DEEP.search(text) or _INDENTED_TOO_DEEP.search(text):
        return BUDGET + 1
    cost = _whole_text_cost(text)
    for estimate, weight in _WEIGHTED:
        if cost > BUDGET:
            break
        cost += estimate(text) // weight
    return cost


def too_costly(text: str) -> bool:
    return formatting_cost(text) > BUDGET
