"""Render public pages for the mirror through the live site's own views, in process.

Each address goes through the same URL routing, views, templates and
middleware as a reader's request, so a mirrored file is the bytes the live
site serves at that moment: one renderer, never two.

No single bad row stops a build: a page that fails to render (answers 500 or
raises) is skipped, logged and reported, and the mirror keeps its last good
copy of it (or lacks it, if it never had one). What must still fail, so that
the build is retried rather than publishing a mirror without its front page:
- an essential page failing: what sums the whole site up (the status page,
  the site's feeds, badge and widget, the API documents; site.summary_urls);
- most pages failing (more than half of those asked for): the site is broken,
  not one row;
- the database refusing (an OperationalError, or the 503 the site answers for
  one: locked, gone): no page can be trusted to render, whichever it was.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import OperationalError
from django.test import Client
from django.utils.html import escape

from incidents.detail_pages import reading_ahead
from incidents.relative_links import relative_to_root
from notifier.channels.base import TransportError
from notifier.mirror.forked import ForkFailed, processes_for, render_in_processes
from notifier.mirror.site import file_for, summary_urls
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


@dataclass(frozen=True)
class SkippedPage:
    """A page that failed to render: the mirror keeps its last good copy, if it has one."""

    url: str
    error: str

    @property
    def path(self) -> str:
        return file_for(self.url)


def _site_is_https() -> bool:
    # Rendered as readers ask for them: over https, SECURE_SSL_REDIRECT does not redirect.
    return urlsplit(settings.SITE_URL).scheme == "https"


class RenderError(TransportError):
    """The build cannot go on (see the module's docstring); a later try may."""

    def __init__(self, message: str):
        super().__init__(message, permanent=False)


# Objects allocated, less those freed, between young collections while a build runs.
BUILD_GC_THRESHOLD = 10_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's young collections every BUILD_GC_THRESHOLD allocations instead of 700.

    A build allocates millions of short-lived objects (rows, contexts, strings). At the
    default, enough of them outlive a young collection that the oldest generation is walked
    in full four or five times per build, each a tenth of a second over all of Django: about
    a tenth of a full build, spent finding nothing. With the larger threshold most are freed
    before their first collection, and none of the build's walks the oldest generation.
    """
    before = gc.get_threshold()
    gc.set_threshold(BUILD_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def render_pages(urls: Iterable[str]) -> Iterator[MirrorFile | SkippedPage]:
    """Each page once: its file, or a SkippedPage when it failed to render.

    Raises RenderError when an essential page or most pages fail (see above). A build
    large enough is shared among processes (forked.py); each page is rendered the same.
    """
    unique = list(dict.fromkeys(urls))
    try:
        rendered = render_in_processes(_render_share, unique, processes_for(len(unique)))
    except ForkFailed as error:
        raise RenderError(f"a render process failed: {error}") from error
    yield from rendered
    failed = sum(isinstance(item, SkippedPage) for item in rendered)
    if failed * 2 > len(unique):
        raise RenderError(f"{failed} of {len(unique)} pages could not be rendered")


def _render_share(urls: list[str]) -> list[MirrorFile | SkippedPage]:
    host = urlsplit(settings.SITE_URL).netloc or "localhost"
    # Not a reader: the mirror never waits behind staff requests or takes a reader's slot.
    client = Client(HTTP_HOST=host, raise_request_exception=True, **_IN_PROCESS)
    secure = _site_is_https()
    essential = set(summary_urls())
    with reading_ahead(urls):
        return [page for url in urls if (page := _render_one(client, url, secure, essential))]


def _render_one(
    client: Client, url: str, secure: bool, essential: set[str]
) -> MirrorFile | SkippedPage | None:
    """The page's file, a SkippedPage when it failed, None when it is gone (a 404)."""
    try:
        response = client.get(url, secure=secure)
    except OperationalError as error:
        raise RenderError(f"{url}: the database refused ({error}); try again") from error
    except Exception as error:
        problem = f"{type(error).__name__}: {error}"
    else:
        if response.status_code == 404:
            return None  # removed between listing and rendering
        if response.status_code == 200:
            return MirrorFile(file_for(url), response.content, response["Content-Type"])
        if response.status_code == 503:  # statuspage.errors: the database refused
            raise RenderError(f"{url} answered 503: the database is busy or unreachable")
        problem = f"answered {response.status_code}"
    if url in essential:
        raise RenderError(f"{url} could not be rendered ({problem}); the build waits for it")
    logger.error("Mirror: %s could not be rendered, skipped: %s", url, problem)
    return SkippedPage(url, problem)


def split(
    rendered: Iterable[MirrorFile | SkippedPage],
) -> tuple[list[MirrorFile], list[SkippedPage]]:
    """The files to publish, and the pages skipped."""
    files: list[MirrorFile] = []
    skipped: list[SkippedPage] = []
    for item in rendered:
        (skipped if isinstance(item, SkippedPage) else files).append(item)  # type: ignore[arg-type]
    return files, skipped


def skipped_report(skipped: list[SkippedPage], *, most: int = 5) -> str:
    """ "2 pages could not be rendered: /incidents/7/ /posts/x/" ("" when none)."""
    if not skipped:
        return ""
    shown = " ".join(page.url for page in skipped[:most])
    more = f" and {len(skipped) - most} more" if len(skipped) > most else ""
    noun = "page" if len(skipped) == 1 else "pages"
    return f"{len(skipped)} {noun} could not be rendered: {shown}{more}"


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
