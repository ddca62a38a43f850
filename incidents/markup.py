"""Markdown to HTML that can never run script: rendered, then sanitized."""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from incidents import timefmt
from incidents.markup_guard import too_costly
from incidents.timetokens import TOKEN, TimeToken, TokenError, in_brackets, parse

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "time",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "time": {"datetime"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


# A bare address in a body ("see http://status.runbox.com") becomes a link; trailing
# punctuation stays outside it. Text already inside a link or code is left alone.
BARE_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]*[^\s<>\"')\].,;:!?]")
_NOT_LINKIFIED = {"a", "code", "pre"}


def _linked(text: str) -> tuple[str, list[etree.Element]]:
    """Split text into its leading part and link elements whose tails carry the rest."""
    parts = BARE_URL.split(text)
    urls = BARE_URL.findall(text)
    links = []
    for url, tail in zip(urls, parts[1:], strict=True):
        link = etree.Element("a", {"href": url})
        link.text, link.tail = url, tail
        links.append(link)
    return parts[0], links


class _BareUrls(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self._walk(root)

    def _walk(self, element: etree.Element) -> None:
        if element.tag in _NOT_LINKIFIED:
            return
        for child in list(element):
            self._walk(child)
            if child.tail and BARE_URL.search(child.tail):
                child.tail, links = _linked(child.tail)
                index = list(element).index(child)
                for offset, link in enumerate(links, start=1):
                    element.insert(index + offset, link)
        if element.text and BARE_URL.search(element.text):
            element.text, links = _linked(element.text)
            for offset, link in enumerate(links):
                element.insert(offset, link)


class _LinkifyBareUrls(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After the inline patterns (priority 20) have turned markup into elements.
        md.treeprocessors.register(_BareUrls(md), "bare_urls", 5)


HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class _NestedHeadings(Treeprocessor):
    """A body always sits under its page's h1: its headings become h2, h3, … in the order
    of their levels, so a "### Details" never skips a level (HTML's heading outline)."""

    def run(self, root: etree.Element) -> None:
        headings = [e for e in root.iter() if e.tag in HEADING_TAGS]
        levels = sorted({int(e.tag[1]) for e in headings})
        nested = {level: f"h{min(rank, 6)}" for rank, level in enumerate(levels, start=2)}
        for heading in headings:
            heading.tag = nested[int(heading.tag[1])]


class _BodyHeadings(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_NestedHeadings(md), "nested_headings", 4)


def _time_element(token: TimeToken) -> etree.Element:
    """<time datetime="…">06:30–08:30 CET</time> (…): the wrapper is unwrapped by the sanitiser."""
    main, others = token.words()
    wrapper = etree.Element("span")
    element = etree.SubElement(wrapper, "time", {"datetime": timefmt.iso_site(token.start)})
    element.text = AtomicString(main)
    if others:
        element.tail = AtomicString(f" {in_brackets(others)}")
    return wrapper


class _TimeTokenPattern(InlineProcessor):
    # The stubs give InlineProcessor a handleMatch unlike its base Pattern's; any override
    # of it conflicts with the one it shadows.
    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        try:
            token = parse(m[1])
        except TokenError:
            return None, None, None  # left as typed; the console says what is wrong
        return _time_element(token), m.start(0), m.end(0)


class _TimeTokens(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After code spans (190) and escapes (180), before links and emphasis: a token in
        # code stays literal, and "Los_Angeles" is never read as emphasis.
        md.inlinePatterns.register(_TimeTokenPattern(TOKEN.pattern, md), "time_tokens", 175)


def render_markdown(text: str) -> SafeString:
    """Rendered once per distinct text and zones per process: feeds, pages and the mirror
    repeat bodies, and a time token reads differently in other zones."""
    zones = tuple(settings.EXTRA_TIME_ZONES)
    return _rendered(text or "", settings.SITE_TIME_ZONE, zones, get_language())


# Room for every text of a ten-year history in both languages (about 10,000; 1 kB each).
@lru_cache(maxsize=16384)
def _rendered(
    text: str, site_zone: str, extra_zones: tuple[str, ...], language: str | None
) -> SafeString:
    """A time token's words are in the page's language ("fre. 25. jan."): it keys the cache."""
    return render_fresh(text)


_converters = threading.local()


def _converter() -> markdown.Markdown:
    """This thread's converter, reset: building one (its parser and extensions) costs more
    than converting a typical update, and a full build converts thousands."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = markdown.Markdown(
            extensions=["extra", "sane_lists", _LinkifyBareUrls(), _TimeTokens(), _BodyHeadings()],
            output_format="html",
        )
    return converter.reset()


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def plain_paragraphs(text: str) -> str:
    """Text as typed, in paragraphs: what a text too costly to format is shown as."""
    paragraphs = PARAGRAPH_BREAK.split(text.strip())
    return "\n".join(
        "<p>{}</p>".format(html.escape(p).replace("\n", "<br>\n")) for p in paragraphs if p
    )


def render_fresh(text: str) -> SafeString:
    """Rendered without the cache (drafts typed key by key must not fill it).

    A text Python-Markdown would take seconds over (incidents/markup_guard.py) is shown as
    its plain paragraphs: one update must not hold a worker, the page or the feeds.
    """
    text = text or ""
    if too_costly(text):
        return mark_safe(plain_paragraphs(text))  # noqa: S308 - escaped by plain_paragraphs
    formatted = _converter().convert(text)
    clean = nh3.clean(
        formatted,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 has removed everything that could run
