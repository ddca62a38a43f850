"""The mirror as a channel: each target is one delivery per notice in the ledger."""

from __future__ import annotations

import errno
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from notifier.channels.base import Channel, TransportError
from notifier.mirror.render import MirrorFile, not_found_page, render_pages, static_files
from notifier.mirror.site import every_url, urls_for
from notifier.models import Delivery, Notice

PERMANENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}


def content_type_for(path: str) -> str:
    if path.endswith(".json"):
        return "application/json"
    if path.endswith(".atom"):
        return "application/atom+xml; charset=utf-8"
    if path.endswith(".rss"):
        return "application/rss+xml; charset=utf-8"
    if path.endswith(".ics"):
        return "text/calendar; charset=utf-8"
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def os_error(target: str, error: OSError) -> TransportError:
    """A clear, recorded error: what failed where, and whether trying again can help."""
    return TransportError(
        f"{target}: {error.strerror or error} ({error.filename or 'no file'})",
        permanent=error.errno in PERMANENT_ERRNOS,
    )


class MirrorChannel(Channel):
    """Renders what a notice changed (everything, the first time) and publishes it atomically."""

    def fits(self, notice: Notice) -> bool:
        return True

    def targets(self, notice: Notice) -> Iterable[str]:
        return [self.name]

    def has_build(self) -> bool:
        raise NotImplementedError

    def publish(
        self, pages: list[MirrorFile], static: list[tuple[str, Path]], *, full: bool
    ) -> int:
        """Put the files in place so readers never see half a site; returns how many."""
        raise NotImplementedError

    def build(self, *, full: bool, notice: Notice | None = None) -> str:
        full = full or notice is None or not self.has_build()
        urls = every_url() if full else urls_for(notice)  # type: ignore[arg-type]
        pages = [*render_pages(urls), not_found_page()]
        count = self.publish(pages, list(static_files()), full=full)
        return f"{count} files ({'full build' if full else 'incremental'})"

    def send(self, delivery: Delivery, session: Any) -> str:
        return self.build(full=False, notice=delivery.notice)
