"""No English interface string is left on a Norwegian page: every page the crawl reaches
from /nb/ is read as a reader reads it (text and the attributes read aloud), and no phrase of
an English msgid the catalogue translates may be in it. Text marked with another `lang` (staff's
untranslated originals) is left out: it is English on purpose, and says so."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from tests.test_html_validity import crawl, demo_site  # noqa: F401 - demo_site is a fixture

pytestmark = pytest.mark.django_db

READ_ALOUD = ("aria-label", "title", "alt", "placeholder")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")
SKIPPED = ("/nb/api/", "/nb/static/", "/nb/subscribe/confirm", "/nb/unsubscribe/")


class ReaderText(HTMLParser):
    """The text a reader of the page's language reads: outside <script>, <style> and any
    element in another language."""

    def __init__(self, language: str = "nb") -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        lang = found.get("lang")
        # <title> and a description name staff's titles too, where no lang can mark them.
        skip = tag in ("script", "style", "title") or (lang is not None and lang != self.language)
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            self._stack.append((tag, skip))
        if not (skip or self._skipping()):
            self.parts += [found[name] or "" for name in READ_ALOUD if name in found]

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)

    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


def english_phrases() -> list[str]:
    """The English of every translated msgid, split at its placeholders and tags: each piece
    of two words or more (one word may well be Norwegian too, or a name)."""
    catalog = trans_real.translation("nb")._catalog  # type: ignore[attr-defined]
    phrases = set()
    for key, translated in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid or ("\x04" in msgid and msgid.split("\x04", 1)[1] == translated):
            continue
        msgid = msgid.split("\x04", 1)[-1]
        if msgid == translated:
            continue
        for piece in PLACEHOLDER.split(msgid):
            piece = re.sub(r"\s+", " ", piece).strip(" .,:;·()–-\"'")
            if len(piece.split()) >= 2 and piece not in translated:
                phrases.add(piece)
    return sorted(phrases)


def crawl_norwegian(client: Client) -> dict[str, str]:
    # The Subscribe link is absolute (to SITE_URL, the live site even from the mirror).
    return crawl(
        client,
        ["/nb/", "/nb/subscribe/"],
        lambda path: path.startswith("/nb/") and not path.startswith(SKIPPED),
        most=10_000,
    )


@pytest.mark.usefixtures("demo_site")
def test_no_norwegian_page_holds_an_english_interface_phrase() -> None:
    pages = crawl_norwegian(Client())
    missing = Client().get("/nb/no-such-page/")
    assert missing.status_code == 404
    pages["/nb/no-such-page/ (404)"] = missing.content.decode()
    assert len(pages) > 60, len(pages)
    assert any("/nb/subscribe/" in path for path in pages)
    with translation.override("nb"):
        phrases = english_phrases()
    assert len(phrases) > 200, len(phrases)
    patterns = [(phrase, re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")) for phrase in phrases]
    left: dict[str, list[str]] = {}
    for path, html in pages.items():
        reader = ReaderText()
        reader.feed(html)
        text = reader.text()
        found = [phrase for phrase, pattern in patterns if pattern.search(text)]
        if found:
            left[path] = found
    assert left == {}, "English left on Norwegian pages"


@pytest.mark.usefixtures("demo_site")
def test_the_same_reading_finds_the_phrases_on_the_english_pages() -> None:
    """The check can fail: on the English status page it finds the phrases it looks for."""
    with translation.override("nb"):
        phrases = english_phrases()
    reader = ReaderText("en")
    reader.feed(Client().get("/").content.decode())
    text = reader.text()
    found = [phrase for phrase in phrases if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)]
    assert {"Skip to content", "Follow along"} <= set(found), found
    assert len(found) >= 10, found
