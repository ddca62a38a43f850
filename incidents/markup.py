"""Markdown to HTML that can never run script: rendered, then sanitized."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

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
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
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


@lru_cache(maxsize=8192)
def render_markdown(text: str) -> SafeString:
    """Rendered once per distinct text per process: feeds, pages and the mirror repeat bodies."""
    html = markdown.markdown(
        text or "",
        extensions=["extra", "sane_lists", _LinkifyBareUrls()],
        output_format="html",
    )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 has removed everything that could run
