"""Render public pages for the mirror through the live site's own views, in process.

Each address goes through the same URL routing, views, templates and
middleware as a reader's request, so a mirrored file is the bytes the live
site serves at that moment: one renderer, never two.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils.html import escape

from incidents.relative_links import relative_to_root
from notifier.mirror.site import file_for
from statuspage.in_process import IN_PROCESS_RENDER

# The WSGI environ key that marks the mirror's own requests.
_IN_PROCESS: dict[str, Any] = {IN_PROCESS_RENDER: True}

logger = logging.getLogger(__name__)

# Assets the public pages use; the admin's are not mirrored.
SKIPPED_STATIC_PREFIXES = ("admin/",)


@dataclass(frozen=True)
class MirrorFile:
    path: str  # relative to the mirror's root: "incidents/7/index.html"
    body: bytes
    content_type: str


class RenderError(Exception):
    pass


def _site_is_https() -> bool:
    # Rendered as readers ask for them: over https, SECURE_SSL_REDIRECT does not redirect.
    return urlsplit(settings.SITE_URL).scheme == "https"


def render_pages(urls: Iterable[str]) -> Iterator[MirrorFile]:
    host = urlsplit(settings.SITE_URL).netloc or "localhost"
    # Not a reader: the mirror never waits behind staff requests or takes a reader's slot.
    client = Client(HTTP_HOST=host, raise_request_exception=True, **_IN_PROCESS)
    for url in dict.fromkeys(urls):  # once each, in order
        response = client.get(url, secure=_site_is_https())
        if response.status_code == 404:
            continue  # removed between listing and rendering
        if response.status_code != 200:
            raise RenderError(f"{url} answered {response.status_code} while mirroring")
        yield MirrorFile(file_for(url), response.content, response["Content-Type"])


def not_found_page() -> MirrorFile:
    """The mirror's 404 page, answered at any depth of the mirror.

    Its links cannot be relative to one place; with MIRROR_BASE_URL set they
    are made relative to the mirror's root under a <base>, so they stay inside
    the mirror however deep the missing address and whatever the prefix.
    """
    host = urlsplit(settings.SITE_URL).netloc or "localhost"
    client = Client(HTTP_HOST=host, **_IN_PROCESS)
    response = client.get("/mirror-has-no-such-page/", secure=_site_is_https())
    body = response.content
    base = settings.MIRROR_BASE_URL
    if base:
        body = relative_to_root(body).replace(
            b"<head>", b'<head>\n  <base href="' + escape(base).encode() + b'">', 1
        )
    return MirrorFile("404.html", body, response["Content-Type"])


def static_files() -> Iterator[tuple[str, Path]]:
    """(path in the mirror, file on disk) for every public static asset.

    From STATIC_ROOT when collectstatic has filled it (hashed names, as the
    pages reference them in production), otherwise from the apps' folders.
    """
    root = Path(settings.STATIC_ROOT)
    prefix = settings.STATIC_URL.strip("/")
    if root.is_dir() and any(root.iterdir()):
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root).as_posix()
            if file.is_file() and not relative.startswith(SKIPPED_STATIC_PREFIXES):
                yield f"{prefix}/{relative}", file
        return
    seen: set[str] = set()
    for finder in finders.get_finders():
        for relative, storage in finder.list(ignore_patterns=[]):
            if relative in seen or relative.startswith(SKIPPED_STATIC_PREFIXES):
                continue
            seen.add(relative)
            yield f"{prefix}/{relative}", Path(storage.path(relative))
