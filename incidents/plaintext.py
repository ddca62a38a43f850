"""Markdown as plain text for readers without HTML: text mails, X, Mastodon, calendars.

The body is rendered and sanitized exactly as on the page (so what the page
drops, such as a raw <script>, is dropped here too), then written out as text:
real characters ("AT&T", "> 5 min"), no markup, paragraphs apart, list items
on their own lines, links as "text (url)".
"""

from __future__ import annotations

from functools import lru_cache
from html.parser import HTMLParser

from incidents.markup import render_markdown

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr", "div"}
_TIGHT = {"li", "tr"}  # one line each, no blank line between neighbours


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (tight: joined to the one before by a line break only, text)
        self.paragraphs: list[tuple[bool, str]] = []
        self.parts: list[str] = []
        self.prefix = ""
        self.tight = False
        self.lists: list[list[int]] = []  # per open list: [next number], or [] for bullets
        self.links: list[tuple[str, int]] = []
        self.pre = self.quote = 0
        self.starts_list = False  # a list stands apart from what comes before it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS or tag in _TIGHT or tag in ("ul", "ol"):
            self._flush()
        if tag in ("ul", "ol"):
            self.starts_list = self.starts_list or not self.lists
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            self.tight = True
            numbers = self.lists[-1] if self.lists else []
            marker = f"{numbers[0]}." if numbers else "-"
            if numbers:
                numbers[0] += 1
            self.prefix = "  " * max(len(self.lists) - 1, 0) + marker + " "
        elif tag == "tr":
            self.starts_list = self.starts_list or not self.tight
            self.tight = True
        elif tag in ("td", "th"):
            row = " ".join("".join(self.parts).split())
            self.parts = [row, " | "] if row else []
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "pre":
            self.pre += 1
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "hr":
            self.paragraphs.append((False, "---"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.parts[start:]).strip()
            if href and href not in (text, f"mailto:{text}"):
                self.parts.append(f" ({href})")
            return
        if tag in _BLOCKS or tag in _TIGHT or tag in ("ul", "ol"):
            self._flush()
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.tight = bool(self.lists)
        elif tag == "table":
            self.tight = False
        elif tag == "pre":
            self.pre -= 1
        elif tag == "blockquote":
            self.quote -= 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def _flush(self) -> None:
        text, self.parts = "".join(self.parts), []
        if self.pre:
            lines = text.rstrip().split("\n")
        else:
            lines = [" ".join(line.split()) for line in text.split("\n")]
        if not self.pre:
            lines = [line for line in lines if line]
        if not any(lines):
            return
        lines[0] = self.prefix + lines[0]
        self.prefix = ""
        if self.quote:
            lines = ["> " * self.quote + line for line in lines]
        self.paragraphs.append((self.tight and not self.starts_list, "\n".join(lines)))
        self.starts_list = False

    def text(self) -> str:
        self._flush()
        out = ""
        for n, (tight, paragraph) in enumerate(self.paragraphs):
            if n:
                out += "\n" if tight else "\n\n"
            out += paragraph
        return out


@lru_cache(maxsize=4096)
def markdown_to_text(text: str) -> str:
    """The body as plain text with real characters (never HTML entities)."""
    writer = _TextWriter()
    writer.feed(str(render_markdown(text or "")))
    writer.close()
    return writer.text()
