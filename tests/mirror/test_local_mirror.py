"""The mirror's local target: a publish goes through the ledger and the dispatcher to files.

Each publish builds beside the last build (hard links for what did not change), then swaps the
`current` symlink; faults leave the previous mirror as it was, serving.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

import actions
from incidents.models import ComponentStatus, IncidentStatus
from notifier import dispatch
from notifier.mirror import channel as mirror_channel
from notifier.mirror import local as mirror_local
from notifier.mirror.local import DISCARD_THREAD, TRASH
from notifier.mirror.site import every_url, file_for
from notifier.models import Delivery, DeliveryState, Notice
from tests.factories import build_site, open_incident, publish_post, schedule_maintenance
from tests.mirror.conftest import SITE_HOST, Mirror

pytestmark = [pytest.mark.django_db]

NEWS = "Certificates renewed; we are watching logins."


def mirror_deliveries() -> list[Delivery]:
    return list(Delivery.objects.filter(channel="mirror_local").order_by("id"))


def deliver_pending() -> list[dispatch.BatchResult]:
    """What a worker does with each queued mirror delivery, oldest first."""
    waiting = Delivery.objects.filter(
        channel="mirror_local", state__in=[DeliveryState.PENDING, DeliveryState.RETRYING]
    )
    return [dispatch.run([pk]) for pk in waiting.order_by("id").values_list("id", flat=True)]


def latest_delivery() -> Delivery:
    return Delivery.objects.filter(channel="mirror_local").latest("id")


def live(url: str) -> bytes:
    response = Client(HTTP_HOST=SITE_HOST).get(url, secure=True)  # SITE_URL is https
    assert response.status_code == 200, url
    return response.content


def post_news(site) -> None:
    actions.post_incident_update(site.active, status=IncidentStatus.MONITORING, body=NEWS)


@pytest.fixture
def published(mirror: Mirror):
    """The test site, published to the mirror one notice at a time, as the workers would."""
    site = build_site()
    assert all(r.sent == 1 for r in deliver_pending())
    return site


def test_each_publish_records_a_mirror_delivery_and_the_dispatcher_writes_the_site(mirror):
    site = build_site()

    notices = list(Notice.objects.order_by("id"))
    deliveries = mirror_deliveries()
    assert [d.notice_id for d in deliveries] == [n.pk for n in notices]
    assert {(d.target, d.state) for d in deliveries} == {("mirror_local", DeliveryState.PENDING)}
    assert all("mirror_local" in n.channels for n in notices)
    assert not mirror.root.exists()  # nothing is written inside the publishing transaction

    results = deliver_pending()

    assert [(r.sent, r.failed) for r in results] == [(1, 0)] * len(notices)
    first, *rest = mirror_deliveries()
    assert first.state == DeliveryState.SENT
    assert first.reference.endswith("files (full build)")
    assert {d.reference.endswith("(incremental)") for d in rest} == {True}
    assert mirror.current.is_symlink()
    target = os.readlink(mirror.current)
    assert target.startswith("builds/")  # relative: the directory can be moved as a whole
    assert mirror.current.resolve().parent == mirror.builds.resolve()
    assert "Logins fail" in mirror.file("index.html").read_text()
    active = mirror.file(f"incidents/{site.active.pk}/index.html").read_text()
    assert "A certificate expired; we are renewing it." in active
    for path in (
        "history/index.html",
        "blog/new-spam-filter/index.html",
        f"maintenance/{site.upcoming.pk}/index.html",
        "feed.atom",
        "feed.rss",
        "feed.json",
        "maintenance.ics",
        "api/v2/summary.json",
        "badge.svg",
        "static/css/site.css",
        "404.html",
    ):
        assert mirror.file(path).is_file(), path


def test_the_celery_path_publish_commit_task_dispatcher_mirror(
    mirror, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_incident("IMAP logins fail", body="We are looking into it.")

    delivery = latest_delivery()
    assert delivery.state == DeliveryState.SENT
    assert delivery.notice.incident == incident
    page = mirror.file(f"incidents/{incident.pk}/index.html").read_text()
    assert "We are looking into it." in page


def test_a_second_publish_builds_beside_links_what_did_not_change_and_swaps(published, mirror):
    site = published
    old_build = mirror.current.resolve()
    before = mirror.files()

    post_news(site)
    [result] = deliver_pending()

    assert result.sent == 1
    new_build = mirror.current.resolve()
    assert new_build != old_build and new_build.parent == old_build.parent
    after = mirror.files()
    assert set(after) == set(before)

    changed = {path for path in after if after[path][1] != before[path][1]}
    same = set(after) - changed
    incident_page = f"incidents/{site.active.pk}/index.html"
    assert {incident_page, "index.html", "feed.atom", "api/v2/summary.json"} <= changed
    assert NEWS in after[incident_page][1].decode()
    # Changed files are new files, never edits of the old build's: it stays as it was.
    for path in changed:
        assert after[path][0] != before[path][0], path
        assert (old_build / path).read_bytes() == before[path][1], path
    # What the publish did not touch is the very same file (a hard link), not a copy.
    untouched = {
        f"incidents/{site.resolved.pk}/index.html",
        f"maintenance/{site.upcoming.pk}/index.html",
        "blog/new-spam-filter/index.html",
        "static/css/site.css",
    }
    assert untouched <= same
    for path in untouched:
        assert after[path][0] == before[path][0], path
        assert (new_build / path).stat().st_nlink >= 2, path


def test_the_next_builds_links_are_made_ahead_and_then_used(published, mirror):
    first = mirror.current.resolve()
    ahead = mirror.builds / f".next-{first.name}"
    assert mirror.ahead() == [ahead.name]
    for path in first.rglob("*"):
        if path.is_file():
            assert (ahead / path.relative_to(first)).stat().st_ino == path.stat().st_ino
    ahead_inode = ahead.stat().st_ino

    post_news(published)
    deliver_pending()

    second = mirror.current.resolve()
    assert second.stat().st_ino == ahead_inode  # renamed into place, not linked again
    assert mirror.ahead() == [f".next-{second.name}"]
    assert NEWS in (second / f"incidents/{published.active.pk}/index.html").read_text()
    assert NEWS not in (first / f"incidents/{published.active.pk}/index.html").read_text()


def test_links_made_ahead_for_another_build_are_not_used_and_go(published, mirror):
    (mirror.builds / ".next-20000101T000000000000-dead00" / "incidents").mkdir(parents=True)
    (mirror.builds / ".partial-0badf00d" / "static").mkdir(parents=True)

    call_command("build_mirror", stdout=io.StringIO())

    assert mirror.ahead() == [f".next-{mirror.current.resolve().name}"]


def test_only_the_last_three_builds_are_kept(mirror):
    build_site()
    made = []
    for pk in Delivery.objects.filter(channel="mirror_local").values_list("id", flat=True):
        assert dispatch.run([pk]).sent == 1
        made.append(mirror.current.resolve().name)
        assert len(mirror.build_names()) == min(len(made), 3)

    assert len(made) >= 5
    assert mirror.build_names() == sorted(made[-3:])
    assert mirror.current.resolve().name == made[-1]
    # The pruned builds left builds/ at once; their files are deleted in the background.
    for thread in threading.enumerate():
        if thread.name == DISCARD_THREAD:
            thread.join()
    assert list((mirror.root / TRASH).iterdir()) == []


def test_a_process_ends_only_once_the_pruned_builds_are_deleted(mirror, monkeypatch):
    """build_mirror run from cron ends when its deleting has: no build left in the trash."""
    started: list[threading.Thread] = []
    real_thread = threading.Thread

    def noting(*args, **kwargs) -> threading.Thread:
        thread = real_thread(*args, **kwargs)
        started.append(thread)
        return thread

    build_site()
    monkeypatch.setattr(mirror_local.threading, "Thread", noting)
    for _ in range(4):
        call_command("build_mirror", stdout=io.StringIO())
    monkeypatch.undo()

    discarding = [thread for thread in started if thread.name == DISCARD_THREAD]
    assert len(discarding) == 4
    assert not any(thread.daemon for thread in discarding)  # the interpreter waits for them
    for thread in discarding:
        thread.join()
    assert list((mirror.root / TRASH).iterdir()) == []
    assert len(mirror.build_names()) == 3


def test_mirrored_files_are_the_bytes_the_live_site_serves(published, mirror, nginx):
    site = published
    post_news(site)
    deliver_pending()

    for url in ("/", f"/incidents/{site.active.pk}/", "/feed.atom", "/api/v2/summary.json"):
        served = live(url)
        assert mirror.file(file_for(url)).read_bytes() == served, url
        status, _type, body = nginx.get(url)
        assert (status, body) == (200, served), url
    assert NEWS.encode() in live(f"/incidents/{site.active.pk}/")


def test_build_mirror_makes_a_full_build_from_scratch(published, mirror):
    before = mirror.current.resolve()

    call_command("build_mirror", stdout=io.StringIO())

    after = mirror.current.resolve()
    assert after != before
    # A full build shares no file with the last one: nothing stale can survive it.
    old = {p.relative_to(before): p.stat().st_ino for p in before.rglob("*") if p.is_file()}
    new = {p.relative_to(after): p.stat().st_ino for p in after.rglob("*") if p.is_file()}
    assert set(old) == set(new)
    assert not set(old.values()) & set(new.values())


def test_the_mirror_is_rendered_over_https_when_the_site_redirects_to_it(
    published, mirror, settings
):
    settings.SECURE_SSL_REDIRECT = True
    assert Client(HTTP_HOST=SITE_HOST).get("/").status_code == 301  # a reader on http

    call_command("build_mirror", stdout=io.StringIO())

    served = Client(HTTP_HOST=SITE_HOST).get("/", secure=True).content
    assert mirror.file("index.html").read_bytes() == served
    assert b"<!doctype html>" in mirror.file("index.html").read_bytes().lower()


# Faults: a clear recorded error, the previous mirror intact and still the current one.


def assert_unchanged(mirror: Mirror, files: dict, builds: list[str], current: str) -> None:
    assert mirror.files() == files
    assert mirror.build_names() == builds  # no half-made build left behind
    assert os.readlink(mirror.current) == current
    leftovers = [p.name for p in mirror.root.iterdir() if p.name.startswith(".current.")]
    assert leftovers == []


def test_a_target_under_a_regular_file_is_a_recorded_error(mirror, settings):
    blocker = mirror.root.parent / "not-a-directory"
    blocker.write_text("a file, where the mirror's parent directory should be")
    settings.MIRROR_LOCAL_DIR = str(blocker / "mirror")
    open_incident("IMAP logins fail")

    [result] = deliver_pending()

    delivery = latest_delivery()
    # Transient for the dispatcher (someone may fix the path): it retries with backoff.
    assert (result.sent, delivery.state) == (0, DeliveryState.RETRYING)
    assert delivery.next_attempt_at is not None and result.retry_in is not None
    assert "Not a directory" in delivery.last_error
    assert str(blocker) in delivery.last_error
    assert blocker.read_text().startswith("a file")


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """A read-only bind mount of `path` over itself: writes fail with EROFS, even for root."""
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    mounted = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {mounted.stderr.decode().strip()}")
    try:
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(path)], check=True, capture_output=True
        )
        yield
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_read_only_target_fails_and_the_previous_mirror_keeps_serving(published, mirror, nginx):
    files, builds = mirror.files(), mirror.build_names()
    current = os.readlink(mirror.current)
    served = nginx.get("")

    with read_only(mirror.root):
        post_news(published)
        [result] = deliver_pending()

        delivery = latest_delivery()
        assert (result.failed, delivery.state) == (1, DeliveryState.FAILED)  # permanent
        assert "Read-only file system" in delivery.last_error
        assert str(mirror.root) in delivery.last_error
        assert nginx.get("") == served

    assert_unchanged(mirror, files, builds, current)
    assert nginx.get("") == served


def test_a_full_disk_leaves_the_previous_mirror_whole_and_a_retry_finishes(
    published, mirror, nginx, monkeypatch
):
    files, builds = mirror.files(), mirror.build_names()
    current = os.readlink(mirror.current)
    served = nginx.get("")
    real_write = mirror_local._write
    written: list[Path] = []

    def fill_up(path: Path, body: bytes, folders: set[Path], *, fresh: bool) -> None:
        if len(written) == 3:  # a few pages fit, then half of one, then the disk is full
            path.parent.mkdir(parents=True, exist_ok=True)
            path.with_name(f".{path.name}.partial").write_bytes(body[: len(body) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(path)
        real_write(path, body, folders, fresh=fresh)

    monkeypatch.setattr(mirror_local, "_write", fill_up)
    post_news(published)
    [result] = deliver_pending()

    delivery = latest_delivery()
    assert (result.sent, delivery.state) == (0, DeliveryState.RETRYING)
    assert result.retry_in is not None and delivery.next_attempt_at is not None
    assert "No space left on device" in delivery.last_error
    half_made = mirror.builds / written[0].relative_to(mirror.builds).parts[0]
    assert not half_made.exists()
    assert_unchanged(mirror, files, builds, current)
    assert nginx.get("") == served

    monkeypatch.setattr(mirror_local, "_write", real_write)  # space freed; the retry comes
    [retry] = deliver_pending()

    assert retry.sent == 1
    assert latest_delivery().state == DeliveryState.SENT
    assert NEWS in mirror.file(f"incidents/{published.active.pk}/index.html").read_text()
    assert nginx.get("")[2] == live("/")


def test_the_next_publish_catches_up_what_a_failed_delivery_missed(mirror, settings, monkeypatch):
    """A delivery the dispatcher gave up on must not leave its pages stale for good."""
    settings.HISTORY_PAGE_SIZE = 2  # the two incidents' history pages differ
    site = build_site()
    assert {r.sent for r in deliver_pending()} == {1}
    real_write = mirror_local._write

    def refuse(path: Path, body: bytes, folders: set[Path], *, fresh: bool) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(mirror_local, "_write", refuse)
    post_news(site)
    deliver_pending()
    assert latest_delivery().state == DeliveryState.FAILED
    monkeypatch.setattr(mirror_local, "_write", real_write)  # fixed by the operator

    actions.post_incident_update(
        site.resolved, status=IncidentStatus.POSTMORTEM, body="What went wrong."
    )
    deliver_pending()

    delivery = latest_delivery()
    assert delivery.state == DeliveryState.SENT
    assert delivery.reference.endswith("(incremental, 1 missed caught up)")
    assert NEWS in mirror.file(f"incidents/{site.active.pk}/index.html").read_text()
    # Every page the missed publish changed: its history page, its component's feeds, ...
    assert stale_pages(mirror) == []


def test_after_too_many_missed_publishes_the_next_one_rebuilds_everything(
    published, mirror, monkeypatch
):
    monkeypatch.setattr(mirror_channel, "MAX_MISSED_NOTICES", 1)
    real_write = mirror_local._write

    def refuse(path: Path, body: bytes, folders: set[Path], *, fresh: bool) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(mirror_local, "_write", refuse)
    post_news(published)
    actions.resolve_incident(published.active, body="Logins work again.")
    deliver_pending()
    assert [d.state for d in mirror_deliveries()[-2:]] == [DeliveryState.FAILED] * 2
    monkeypatch.setattr(mirror_local, "_write", real_write)

    open_incident("SMTP is slow", body="Outgoing mail is queued.")
    deliver_pending()

    assert latest_delivery().reference.endswith("(full build)")
    incident_page = f"/incidents/{published.active.pk}/"
    assert mirror.file(file_for(incident_page)).read_bytes() == live(incident_page)
    # The full build is the new starting point: nothing is missed any more.
    open_incident("DNS is slow", body="Lookups time out.")
    deliver_pending()
    assert latest_delivery().reference.endswith("(incremental)")


def test_pages_are_rendered_while_the_directory_is_locked(published, mirror, monkeypatch):
    """Two workers: a render taken before another publish must not be swapped in after it.

    So rendering happens inside the same lock as the swap: the worker that renders second
    publishes second, and its pages are the newer ones.
    """
    real_render = mirror_channel.render_pages
    seen: list[bool] = []

    def render_and_check_the_lock(urls):
        with open(mirror.root / ".lock", "a") as other_worker:
            try:
                fcntl.flock(other_worker, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen.append(True)
            else:
                fcntl.flock(other_worker, fcntl.LOCK_UN)
                seen.append(False)
        yield from real_render(urls)

    monkeypatch.setattr(mirror_channel, "render_pages", render_and_check_the_lock)
    post_news(published)
    [result] = deliver_pending()

    assert result.sent == 1
    assert seen == [True]


# The whole mirror, after each kind of publish: nothing the publish changed is left stale.


def stale_pages(mirror: Mirror) -> list[str]:
    """Every address of the site whose mirrored file is not what the live site serves now."""
    client = Client(HTTP_HOST=SITE_HOST)
    stale = []
    for url in dict.fromkeys(every_url()):
        response = client.get(url, secure=True)  # SITE_URL is https, as readers ask
        assert response.status_code == 200, url
        path = mirror.file(file_for(url))
        if not path.is_file() or path.read_bytes() != response.content:
            stale.append(url)
    return stale


def test_after_every_kind_of_publish_the_whole_mirror_is_the_live_site(mirror, settings):
    # Small pages, so that lists run over several pages and items move between them.
    settings.HISTORY_PAGE_SIZE = 2
    settings.BLOG_PAGE_SIZE = 2
    site = build_site()
    now = timezone.now()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("the site, one notice at a time", lambda: None),
        (
            "an incident update",
            lambda: actions.post_incident_update(
                site.active, status=IncidentStatus.MONITORING, body=NEWS
            ),
        ),
        (
            "an update to an old incident with a post about it",
            lambda: actions.post_incident_update(
                site.resolved, status=IncidentStatus.POSTMORTEM, body="What went wrong."
            ),
        ),
        (
            "a new incident",
            lambda: open_incident(
                "SMTP refuses mail", components={site.smtp: ComponentStatus.MAJOR_OUTAGE}
            ),
        ),
        (
            "a post about the open incident",
            lambda: publish_post(
                "Logins: what we know",
                categories=[site.news],
                tags=[site.spam],
                incident=site.active,
            ),
        ),
        (
            "an update that changes that post's label",
            lambda: actions.post_incident_update(
                site.active, status=IncidentStatus.IDENTIFIED, body="It was the certificate."
            ),
        ),
        (
            "maintenance scheduled",
            lambda: schedule_maintenance(
                "Spam filter upgrade",
                start=now + timedelta(days=2),
                end=now + timedelta(days=2, hours=1),
            ),
        ),
        (
            "maintenance completed",
            lambda: actions.complete_maintenance(site.working, body="All done."),
        ),
        (
            "maintenance rescheduled",
            lambda: actions.reschedule_maintenance(
                site.upcoming,
                scheduled_start=now + timedelta(days=1),
                scheduled_end=now + timedelta(days=1, hours=2),
                body="Moved a day earlier.",
            ),
        ),
        (
            "maintenance cancelled",
            lambda: actions.cancel_maintenance(site.upcoming, body="Not needed after all."),
        ),
        (
            "a post in a category",
            lambda: publish_post("Faster webmail", categories=[site.news], tags=[site.spam]),
        ),
        ("the incident resolved", lambda: actions.resolve_incident(site.active, body="Fixed.")),
    ]
    for what, publish in steps:
        publish()
        assert {r.sent for r in deliver_pending()} == {1}, what
        assert stale_pages(mirror) == [], f"after {what}"
