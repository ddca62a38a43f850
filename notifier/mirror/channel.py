"""The mirror as a channel: each target is one delivery per notice in the ledger."""

from __future__ import annotations

import errno
import mimetypes
from collections.abc import Collection, Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from incidents.models import PublicationState
from notifier.channels.base import Channel, TransportError
from notifier.mirror.lock import Busy, publishing, renew
from notifier.mirror.models import MirrorTarget
from notifier.mirror.refresh import (
    full_build_due,
    newest_change_id,
    note_unrendered,
    refresh_due,
    refresh_urls,
    shown,
)
from notifier.mirror.render import (
    MirrorFile,
    SkippedPage,
    fewer_collections,
    not_found_page,
    render_pages,
    skipped_report,
    split,
    static_files,
)
from notifier.mirror.site import every_url, urls_for
from notifier.models import Delivery, DeliveryState, Notice, NoticeKind

PERMANENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
# More failed notices than this since the last full build: rebuilding everything is simpler.
MAX_MISSED_NOTICES = 50
# A refresh waits this long for a publish to finish writing, then leaves it to the next tick.
REFRESH_WAIT_SECONDS = 30.0


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

    is_mirror = True

    def fits(self, notice: Notice) -> bool:
        # A reminder changes nothing on the page: nothing to mirror.
        return notice.kind != NoticeKind.MAINTENANCE_REMINDER

    def targets(self, notice: Notice) -> Iterable[str]:
        return [self.name]

    def has_build(self) -> bool:
        raise NotImplementedError

    def publish(
        self,
        pages: list[MirrorFile],
        static: list[tuple[str, Path]],
        *,
        full: bool,
        keep: Collection[str] = (),
    ) -> int:
        """Put the files in place so readers never see half a site; returns how many.

        `keep`: paths a full build leaves as they are (pages that failed to render).
        """
        raise NotImplementedError

    def last_full_build(self) -> datetime | None:
        """When the full build this target serves began rendering; None when not recorded.

        Targets that record it (`full_build_done`) get missed pages caught up.
        """
        return None

    def full_build_done(self, started: datetime) -> None:
        """Record that a full build rendered from `started` on is in place."""

    def missed(self) -> list[Notice] | None:
        """Notices whose delivery to this target was given up since its last full build.

        An incremental build renders the pages its own notice changed; those of a
        notice whose delivery failed for good would stay stale until the next full
        build, so each build renders them again. None: too many, build it all.
        """
        since = self.last_full_build()
        if since is None:
            return []
        failed = (
            Notice.objects.filter(
                deliveries__channel=self.name,
                deliveries__state=DeliveryState.FAILED,
                created_at__gte=since,
            )
            .distinct()
            .order_by("id")
        )
        missed = list(failed[: MAX_MISSED_NOTICES + 1])
        return None if len(missed) > MAX_MISSED_NOTICES else missed

    def local_lock(self) -> AbstractContextManager[object]:
        """A lock of the target's own, taken inside the shared one (the local directory's)."""
        return nullcontext()

    def build(self, *, full: bool, notice: Notice | None = None) -> str:
        with publishing(self.name) as holder, self.local_lock(), fewer_collections():
            return self._build(full=full, notice=notice, holder=holder)

    def _build(self, *, full: bool, notice: Notice | None, holder: str) -> str:
        # Read before rendering: a change made during the build moves it again.
        token, cursor = PublicationState.current_token(), newest_change_id()
        started = timezone.now()
        full = full or notice is None or not self.has_build()
        missed = [] if full else self.missed()
        full = full or missed is None
        if full or notice is None:  # (no notice already means full)
            urls = every_url()
        else:
            urls = urls_for(notice)
            urls += [url for earlier in missed or [] for url in urls_for(earlier)]
        pages, skipped = split(render_pages(urls))
        renew(self.name, holder)
        keep = [page.path for page in skipped]
        count = self.publish([*pages, not_found_page()], list(static_files()), full=full, keep=keep)
        if full:
            self.full_build_done(started)
            shown(self.name, token, cursor, started, full=True)
        self._note_unrendered(urls, skipped, full=full)
        caught_up = f", {len(missed)} missed caught up" if missed else ""
        outcome = f"{count} files ({'full build' if full else 'incremental'}{caught_up})"
        return "; ".join(filter(None, [outcome, skipped_report(skipped)]))

    def _note_unrendered(self, urls: list[str], skipped: list[SkippedPage], *, full: bool) -> None:
        note_unrendered(self.name, urls, {page.url: page.error for page in skipped}, full=full)

    def refresh(self) -> str:
        """Bring the target up to the live site where publishes did not (see refresh.py).

        Returns what it did ("" when nothing had changed). The pages are rendered
        before taking the target's lock, so a publish never waits for a refresh's
        rendering, only for its writing; if the site changed meanwhile, the pages
        may be older than a publish's and are dropped: the next tick renders again.
        """
        with fewer_collections():
            return self._refresh()

    def _refresh(self) -> str:
        state, _ = MirrorTarget.objects.get_or_create(name=self.name)
        token, cursor, started = (
            PublicationState.current_token(),
            newest_change_id(),
            timezone.now(),
        )
        try:
            if full_build_due(state):
                return self._locked_full_build()
            if not refresh_due(state, token, started):
                return ""
            if not self.has_build():  # asked only now: for rsync and S3 it is a round trip
                return self._locked_full_build()
            urls = refresh_urls(state, cursor)
            pages, skipped = split(render_pages(urls))
            pages.append(not_found_page())
            with publishing(self.name, wait=REFRESH_WAIT_SECONDS), self.local_lock():
                if PublicationState.current_token() != token:
                    return "the site changed while rendering; the next tick renders again"
                count = self.publish(pages, list(static_files()), full=False)
                shown(self.name, token, cursor, started, full=False)
                self._note_unrendered(urls, skipped, full=False)
        except Busy:
            return "another worker is publishing; the next tick looks again"
        return "; ".join(filter(None, [f"{count} files (refresh)", skipped_report(skipped)]))

    def _locked_full_build(self) -> str:
        with publishing(self.name, wait=REFRESH_WAIT_SECONDS) as holder, self.local_lock():
            return self._build(full=True, notice=None, holder=holder)

    def send(self, delivery: Delivery, session: Any) -> str:
        return self.build(full=False, notice=delivery.notice)
