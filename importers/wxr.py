"""Reading a WordPress export (WXR) as a stream of items, with defusedxml.

Each `<item>` is handed on as soon as it has been read and then cleared, so memory stays
flat however long the file is. Entity declarations and external references are refused
(an entity bomb or an external entity), and malformed XML is reported with its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import iterparse

from importers.errors import SourceError

WP_NAMESPACE_PREFIX = "http://wordpress.org/export/"
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
NO_DATE = "0000-00-00 00:00:00"


@dataclass(frozen=True)
class Category:
    slug: str
    name: str


@dataclass
class WxrItem:
    """One `<item>` of the export, as WordPress wrote it (times naive, as in the file)."""

    number: int  # its place among the file's items, from 1
    post_id: str
    title: str
    slug: str
    post_type: str
    status: str
    author: str
    content: str
    local_date: datetime | None  # wp:post_date, the site's wall clock
    gmt_date: datetime | None  # wp:post_date_gmt; WordPress leaves drafts without one
    link: str = ""
    categories: list[Category] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"item {self.number} (post {self.post_id or '?'}, {self.title[:60]!r})"


@dataclass
class WxrChannel:
    site_url: str = ""
    authors: dict[str, str] = field(default_factory=dict)  # login -> display name


def _local(tag: str) -> tuple[str, str]:
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


def _is_wp(namespace: str) -> bool:
    return namespace.startswith(WP_NAMESPACE_PREFIX) and "excerpt" not in namespace


def _date(text: str | None, file_name: str, where: str) -> datetime | None:
    text = (text or "").strip()
    if not text or text == NO_DATE:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        problem = f"{text!r} is not a date (YYYY-MM-DD hh:mm:ss)"
        raise SourceError(file_name, where, problem) from None


def _item(element: Element, number: int, file_name: str) -> WxrItem:
    values: dict[str, str] = {}
    categories: list[Category] = []
    tags: list[str] = []
    for child in element:
        namespace, name = _local(child.tag)
        text = child.text or ""
        if not namespace and name == "category":
            domain, nicename = child.get("domain", ""), child.get("nicename", "")
            if domain == "category":
                categories.append(Category(slug=nicename, name=text.strip()))
            elif domain == "post_tag":
                tags.append(text.strip())
        elif not namespace and name in ("title", "link"):
            values[name] = text
        elif namespace == CONTENT_NAMESPACE and name == "encoded":
            values["content"] = text
        elif namespace.startswith("http://purl.org/dc/") and name == "creator":
            values["author"] = text.strip()
        elif _is_wp(namespace) and name in (
            "post_id",
            "post_name",
            "post_type",
            "status",
            "post_date",
            "post_date_gmt",
        ):
            values[name] = text.strip()
    post_id = values.get("post_id", "")
    where = f"item {number} (post {post_id or '?'})"
    return WxrItem(
        number=number,
        post_id=post_id,
        title=values.get("title", "").strip(),
        slug=values.get("post_name", ""),
        post_type=values.get("post_type", "post"),
        status=values.get("status", ""),
        author=values.get("author", ""),
        content=values.get("content", ""),
        local_date=_date(values.get("post_date"), file_name, where),
        gmt_date=_date(values.get("post_date_gmt"), file_name, where),
        link=values.get("link", "").strip(),
        categories=categories,
        tags=[tag for tag in tags if tag],
    )


def _read_author(element: Element, channel: WxrChannel) -> None:
    fields = {_local(child.tag)[1]: (child.text or "").strip() for child in element}
    if login := fields.get("author_login"):
        channel.authors[login] = fields.get("author_display_name") or login


def read_wxr(stream: IO[bytes], file_name: str, channel: WxrChannel) -> Iterator[WxrItem]:
    """The file's items, one at a time; `channel` is filled in as its header is read."""
    depth = 0
    number = 0
    root: Element | None = None
    parent: Element | None = None  # the <channel> the items hang from
    try:
        events: Any = iterparse(
            stream, events=("start", "end"), forbid_dtd=False, forbid_entities=True
        )
        for event, element in events:
            namespace, name = _local(element.tag)
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                elif depth == 2:
                    parent = element
                continue
            depth -= 1
            if name == "item" and not namespace and depth == 2:
                number += 1
                yield _item(element, number, file_name)
                element.clear()
                if parent is not None:
                    parent.remove(element)  # the parser's channel would keep every item
            elif name == "link" and not namespace and depth == 2:
                channel.site_url = channel.site_url or (element.text or "").strip()
            elif name == "base_site_url" and _is_wp(namespace) and depth == 2:
                channel.site_url = (element.text or "").strip() or channel.site_url
            elif name == "author" and _is_wp(namespace) and depth == 2:
                _read_author(element, channel)
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        problem = str(error).split(":")[0]
        hint = ""
        if "invalid token" in problem or "encoding" in problem:
            hint = " (is the file in the encoding its XML declaration names?)"
        raise SourceError(
            file_name, f"line {line}, column {column + 1}", f"malformed XML: {problem}{hint}"
        ) from error
    except EntitiesForbidden as error:
        if error.sysid or error.pubid:
            raise SourceError(
                file_name,
                "",
                f"declares the external entity {error.name!r} ({error.sysid or error.pubid}); "
                "external entities are refused",
            ) from error
        raise SourceError(
            file_name,
            "",
            f"declares the entity {error.name!r}; entities are refused (they can be "
            "an entity bomb or read files)",
        ) from error
    except ExternalReferenceForbidden as error:
        raise SourceError(
            file_name, "", f"refers to an external resource ({error.sysid}); refused"
        ) from error
    except DTDForbidden as error:
        raise SourceError(file_name, "", "has a document type declaration; refused") from error
    except DefusedXmlException as error:
        raise SourceError(file_name, "", f"refused: {error}") from error
    except UnicodeDecodeError as error:
        raise SourceError(file_name, f"byte {error.start}", f"wrong encoding: {error}") from error
    if root is None or _local(root.tag)[1] != "rss":
        raise SourceError(file_name, "", "is not a WordPress export (no <rss> root)")
