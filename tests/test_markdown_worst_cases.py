"""Markdown that would hang a worker: every body the API or the console accepts renders fast.

Python-Markdown is quadratic on some inputs (unclosed "[", runs of emphasis, rules and
setext underlines in one block…) and recurses once per list marker on a line. The guard
(incidents/markup_guard.py) shows such a text as plain paragraphs; everything people
really write renders exactly as before. The design target is 100 ms at the longest body;
the bound here is generous because the test machine is shared and slow.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from actions.posts import MAX_POST_BODY
from console.forms.fields import MAX_BODY
from incidents.markup import plain_paragraphs, render_fresh
from incidents.markup_guard import too_costly

BOUND_SECONDS = 0.5


def repeat(unit: str) -> Callable[[int], str]:
    return lambda length: (unit * (length // len(unit) + 1))[:length]


def lines(make: Callable[[int], str]) -> Callable[[int], str]:
    """Lines made by `make(i)` until `length` is reached."""

    def build(length: int) -> str:
        parts, size, i = [], 0, 0
        while size < length:
            line = make(i)
            parts.append(line)
            size += len(line)
            i += 1
        return "".join(parts)[:length]

    return build


WORST_CASES: dict[str, Callable[[int], str]] = {
    "unclosed brackets": repeat("["),
    "nested brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "unclosed images": repeat("!["),
    "empty links unclosed": repeat("[]("),
    "link addresses unclosed": repeat("[a]("),
    "link addresses in angles": repeat("[a](<"),
    "abbreviations": repeat("*["),
    "footnotes": repeat("[^"),
    "bracketed emphasis": repeat("[*"),
    "undefined references": repeat("[a][b]"),
    "emphasis": repeat("*a"),
    "emphasis mixed": repeat("*_"),
    "strong emphasis": repeat("***a"),
    "underscores in words": repeat("_a"),
    "stars": repeat("*"),
    "backticks": repeat("`a"),
    "backslashes": repeat("\\"),
    "tildes": repeat("~"),
    "angles": repeat("<"),
    "tags unclosed": repeat("<a"),
    "attributes unclosed": repeat('<a href="'),
    "autolinks unclosed": repeat("<http://"),
    "mail links unclosed": repeat("<a@"),
    "comments unclosed": repeat("<!--"),
    "html blocks": repeat("<div>\n"),
    "ampersands": repeat("&"),
    "entities": repeat("&amp"),
    "numeric entities": repeat("&#"),
    "quote markers": repeat(">"),
    "quote markers spaced": repeat("> "),
    "quotes of lists": repeat("> - "),
    "quote per line": lines(lambda i: ">" * i + " a\n"),
    "ordered list markers on a line": repeat("1. "),
    "bullets on a line": repeat("+ "),
    "mixed markers on a line": repeat("1. - > "),
    "lists by indentation": lines(lambda i: " " * (4 * i) + "- a\n"),
    "lists by tabs": lines(lambda i: "\t" * i + "- a\n"),
    "nested list items": repeat("* a\n  * b\n"),
    "list items": repeat("* a\n"),
    "indented continuations": repeat("- a\n\n    "),
    "setext headings": repeat("a\n=\n"),
    "rules": repeat("- - -\n"),
    "definitions": repeat("a\n: "),
    "fences": repeat("```\n"),
    "pipes": repeat("|"),
    "wide table": lambda n: ("|a" * (n // 4) + "\n" + "|-" * (n // 4) + "-")[:n],
    "table": lambda n: ("a|b\n-|-\n" + "|" * n)[:n],
    "time tokens": repeat("{{"),
    "link definitions": lines(lambda i: f"[a{i}]: http://x/{i}\n"),
    "one long paragraph of markup": repeat("Text with a [link](http://example.com) and *em* `c`. "),
}


@pytest.mark.parametrize("length", [MAX_BODY, MAX_POST_BODY], ids=["update", "post"])
@pytest.mark.parametrize("name", list(WORST_CASES))
def test_the_longest_body_of_each_worst_case_renders_within_the_bound(name, length):
    text = WORST_CASES[name](length)
    assert len(text) == length

    started = time.perf_counter()
    html = render_fresh(text)
    took = time.perf_counter() - started

    assert took < BOUND_SECONDS, f"{name}: {took * 1000:.0f} ms"
    assert "<script" not in html


def demo_bodies() -> list[str]:
    data = tomllib.loads(Path("actions/demo/runbox.toml").read_text())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "body" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def test_every_demo_body_is_formatted_as_markdown():
    bodies = demo_bodies()
    assert len(bodies) > 50
    assert [b[:40] for b in bodies if too_costly(b)] == []


LONG_REAL_TEXTS = {
    "a long list of links": "".join(
        f"- Item {i}: see [the log](https://example.com/{i}) for *details* on host{i}\n"
        for i in range(300)
    ),
    "numbered steps": "".join(f"{i}. Run `check {i}` and read the output\n" for i in range(1, 300)),
    "a pasted log": "".join(
        f"2024-01-01 12:00:{i % 60:02d} mx{i} postfix/smtpd[{i}]: connect from [10.0.0.{i % 255}]\n"
        for i in range(250)
    ),
    "a long log with levels": "".join(
        f"2024-01-01 12:00:{i % 60:02d} [INFO][main] worker {i} finished job {i * 7}\n"
        for i in range(1200)
    ),
    "many paragraphs": "\n\n".join(
        f"Paragraph {i} with a [link](https://example.com/{i}), **bold**, _em_ and `code`."
        for i in range(250)
    ),
    "a table": "| a | b | c |\n|---|---|---|\n"
    + "".join(f"| r{i} | {i * 2} | [x](http://x/{i}) |\n" for i in range(300)),
    "headings and text": "".join(f"## Heading {i}\n\nSome text under it.\n\n" for i in range(400)),
    "nested lists": "".join(
        f"- Item {i} about the mail servers\n    - detail {i} of the outage\n" for i in range(150)
    ),
    "a quoted mail": "".join(f"> line {i} of a quoted mail with some words\n" for i in range(400)),
}


@pytest.mark.parametrize("name", list(LONG_REAL_TEXTS))
def test_long_texts_people_write_are_formatted_as_markdown(name):
    assert not too_costly(LONG_REAL_TEXTS[name])


def test_a_text_too_costly_to_format_is_shown_as_its_escaped_paragraphs():
    text = "[" * 5000 + "\n\n<script>alert(1)</script> & more\nsecond line"

    assert too_costly(text)
    html = render_fresh(text)
    assert html == plain_paragraphs(text)
    assert html.count("<p>") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more<br>\nsecond line" in html


def test_list_markers_nested_past_the_parsers_recursion_limit_do_not_raise():
    html = render_fresh("1. " * 1000)

    assert html.startswith("<p>1. 1. ")
