"""The periodic refresh: changes that record no notice reach the mirror too.

A component status edited in the admin, any other edit there, a new day: beat's refresh
compares each target with the publication token and renders what no publish did.
"""

from __future__ import annotations

import errno
from datetime import timedelta

import pytest
from django.utils import timezone

import actions
from incidents.models import ComponentStatus
from notifier.mirror import channel as mirror_channel
from notifier.mirror import local as mirror_local
from notifier.mirror import lock
from notifier.mirror.models import MirrorChange, MirrorTarget
from notifier.mirror.tasks import refresh_mirrors
from notifier.models import Notice
from statuspage.celery import app
from tests.factories import build_site
from tests.mirror.test_local_mirror import deliver_pending, stale_pages

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def published(mirror):
    site = build_site()
    assert {r.sent for r in deliver_pending()} == {1}
    refresh_mirrors()  # the publishes moved the token since the first (full) build
    return site


def state() -> MirrorTarget:
    return MirrorTarget.objects.get(name="mirror_local")


def test_a_component_status_set_alone_reaches_the_mirror_with_its_own_notice(published, mirror):
    actions.set_component_status(published.smtp, ComponentStatus.PARTIAL_OUTAGE)

    assert {r.sent for r in deliver_pending()} == {1}

    assert stale_pages(mirror) == []
    assert "Partial outage" in mirror.file("index.html").read_text()


def test_a_component_status_edited_in_the_admin_reaches_the_mirror_at_the_next_tick(
    published, mirror
):
    notices = Notice.objects.count()
    # As the admin saves it: the model's own save, outside the actions, with no notice.
    published.smtp.status = ComponentStatus.PARTIAL_OUTAGE
    published.smtp.save()

    assert Notice.objects.count() == notices  # no notice, so no mirror delivery
    assert "/" in stale_pages(mirror)

    outcome = refresh_mirrors()

    assert outcome["mirror_local"].endswith("files (refresh)")
    assert stale_pages(mirror) == []
    assert "Partial outage" in mirror.file("index.html").read_text()
    assert state().last_error == "" and state().last_result.endswith("(refresh)")


def test_an_edit_in_the_admin_reaches_every_page_showing_it(published, mirror):
    incident = published.resolved
    # As the admin saves it: the model's own save, outside the actions, with no notice.
    incident.title = "Mail delivery delayed by a full queue"
    incident.save()
    assert MirrorChange.objects.filter(kind="incident", object_id=incident.pk).exists()
    assert f"/incidents/{incident.pk}/" in stale_pages(mirror)

    refresh_mirrors()

    assert stale_pages(mirror) == []
    page = mirror.file(f"incidents/{incident.pk}/index.html").read_text()
    assert "Mail delivery delayed by a full queue" in page


def test_a_new_day_re_renders_the_status_page_and_its_last_seven_days(published, mirror):
    MirrorTarget.objects.update(refreshed_at=timezone.now() - timedelta(days=1))

    assert refresh_mirrors()["mirror_local"].endswith("files (refresh)")
    assert refresh_mirrors() == {"mirror_local": ""}


def test_with_nothing_changed_a_tick_writes_nothing(published, mirror):
    build = mirror.current.resolve()

    assert refresh_mirrors() == {"mirror_local": ""}
    assert mirror.current.resolve() == build
    assert state().last_result == "up to date"


def test_a_failed_refresh_is_recorded_and_the_next_tick_tries_again(published, mirror, monkeypatch):
    actions.set_component_status(published.smtp, ComponentStatus.MAJOR_OUTAGE)
    build = mirror.current.resolve()

    def disk_full(path, body, folders, *, fresh):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with monkeypatch.context() as patched:
        patched.setattr(mirror_local, "_write", disk_full)
        outcome = refresh_mirrors()

    assert "No space left on device" in outcome["mirror_local"]
    assert "No space left on device" in state().last_error
    assert mirror.current.resolve() == build and "/" in stale_pages(mirror)

    refresh_mirrors()

    assert state().last_error == ""
    assert stale_pages(mirror) == []


def test_once_the_last_full_build_is_old_a_tick_rebuilds_everything(published, mirror):
    MirrorTarget.objects.update(full_build_at=timezone.now() - timedelta(hours=25))

    assert refresh_mirrors()["mirror_local"].endswith("(full build)")
    assert timezone.now() - state().full_build_at < timedelta(minutes=1)


def test_changes_are_recorded_only_while_a_mirror_is_configured_and_forgotten_once_shown(
    published, mirror, settings
):
    actions.set_component_status(published.smtp, ComponentStatus.DEGRADED_PERFORMANCE)
    actions.resolve_incident(published.active, body="Fixed.")
    assert MirrorChange.objects.exists()
    deliver_pending()
    refresh_mirrors()
    assert not MirrorChange.objects.exists()

    settings.MIRROR_LOCAL_DIR = ""
    actions.resolve_incident(
        actions.open_incident(title="Short one", body="Looking."), body="Done."
    )
    assert not MirrorChange.objects.exists()
    assert refresh_mirrors() == {}  # beat's tick with no target configured


def test_beat_runs_the_refresh_every_mirror_refresh_seconds(settings):
    app.loader.import_default_modules()
    entries = {e["task"]: e for e in app.conf.beat_schedule.values()}
    assert entries["notifier.mirror.refresh"]["schedule"] == settings.MIRROR_REFRESH_SECONDS


def test_a_publish_never_waits_for_a_refresh_to_render(published, mirror, monkeypatch):
    actions.set_component_status(published.smtp, ComponentStatus.PARTIAL_OUTAGE)
    real_render = mirror_channel.render_pages
    free: list[bool] = []

    def render_while_a_publish_comes(urls):
        free.append(lock.try_acquire("mirror_local", "a-publishing-worker"))
        lock.release("mirror_local", "a-publishing-worker")
        yield from real_render(urls)

    monkeypatch.setattr(mirror_channel, "render_pages", render_while_a_publish_comes)

    assert refresh_mirrors()["mirror_local"].endswith("(refresh)")
    assert free == [True]


def test_a_change_while_a_refresh_renders_drops_its_pages_until_the_next_tick(
    published, mirror, monkeypatch
):
    actions.set_component_status(published.smtp, ComponentStatus.PARTIAL_OUTAGE)
    build = mirror.current.resolve()
    real_render = mirror_channel.render_pages

    def render_while_the_site_changes(urls):
        yield from real_render(urls)
        # Meanwhile a publish renders and swaps in newer pages than these.
        actions.set_component_status(published.smtp, ComponentStatus.MAJOR_OUTAGE)

    with monkeypatch.context() as patched:
        patched.setattr(mirror_channel, "render_pages", render_while_the_site_changes)
        outcome = refresh_mirrors()["mirror_local"]

    assert outcome.startswith("the site changed while rendering")
    assert mirror.current.resolve() == build
    assert refresh_mirrors()["mirror_local"].endswith("(refresh)")
    assert stale_pages(mirror) == []
    assert "Major outage" in mirror.file("index.html").read_text()
