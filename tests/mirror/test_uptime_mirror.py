"""The mirror holds the component pages and uptime.json, and keeps their bars current."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone

import actions
from incidents import timefmt
from incidents.models import ComponentStatus, UptimeDay
from notifier.mirror.models import MirrorTarget
from notifier.mirror.site import every_url, urls_for
from notifier.mirror.tasks import refresh_mirrors
from notifier.models import Notice
from tests.factories import DAY_SECONDS, build_site
from tests.mirror.test_local_mirror import deliver_pending, stale_pages

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def published(mirror):
    site = build_site()
    assert {r.sent for r in deliver_pending()} == {1}
    refresh_mirrors()
    return site


def component_files(pk: int) -> list[str]:
    return [f"components/{pk}/index.html", f"api/v2/components/{pk}/uptime.json"]


def test_the_whole_site_lists_each_components_page_and_uptime(published):
    urls = every_url()

    for component in (published.imap, published.smtp, published.webmail):
        assert f"/components/{component.pk}/" in urls
        assert f"/api/v2/components/{component.pk}/uptime.json" in urls


def test_the_mirror_holds_them(published, mirror):
    for path in component_files(published.imap.pk):
        assert mirror.file(path).is_file(), path
    uptime = json.loads(mirror.file(component_files(published.imap.pk)[1]).read_text())
    assert len(uptime["days"]) == 90


def test_a_status_set_alone_renews_the_components_page_and_uptime(published, mirror):
    actions.set_component_status(published.smtp, ComponentStatus.PARTIAL_OUTAGE)
    notice = Notice.objects.latest("id")

    urls = urls_for(notice)

    assert f"/components/{published.smtp.pk}/" in urls
    assert f"/api/v2/components/{published.smtp.pk}/uptime.json" in urls
    assert f"/components/{published.imap.pk}/" not in urls
    deliver_pending()
    page = mirror.file(f"components/{published.smtp.pk}/index.html").read_text()
    assert "Partial outage" in page


def test_an_incident_renews_the_pages_of_the_components_it_affects(published):
    actions.post_incident_update(
        published.active, status="identified", body="Found it.", component_statuses={}
    )
    notice = Notice.objects.latest("id")

    assert f"/components/{published.imap.pk}/" in urls_for(notice)


def test_a_new_day_renews_every_components_bars(published, mirror):
    # Rollups written in bulk (no signal, no token): only the day's turn reaches them.
    UptimeDay.objects.filter(component=published.imap).update(
        observed_seconds=DAY_SECONDS,
        major_outage_seconds=DAY_SECONDS // 2,
        partial_outage_seconds=0,
        degraded_performance_seconds=0,
        under_maintenance_seconds=0,
        worst_status="major_outage",
    )
    assert refresh_mirrors() == {"mirror_local": ""}
    # A new day: the target last refreshed yesterday, and the page cache's keys carry the
    # date, so yesterday's renders are not reused.
    MirrorTarget.objects.update(refreshed_at=timezone.now() - timedelta(days=1))
    caches["pages"].clear()

    refresh_mirrors()

    page = mirror.file(f"components/{published.imap.pk}/index.html").read_text()
    assert "<dt>Uptime, 30 days</dt><dd>50.00%</dd>" in page
    assert f"components/{published.imap.pk}/" not in stale_pages(mirror)


def test_a_rollup_saved_as_a_model_moves_the_token_so_the_next_tick_renders_it(published, mirror):
    today = timefmt.in_zone(timezone.now()).date()
    UptimeDay.objects.update_or_create(  # saved as a model: its signal moves the token
        component=published.smtp,
        day=today,
        defaults={
            "observed_seconds": DAY_SECONDS,
            "partial_outage_seconds": DAY_SECONDS,
            "major_outage_seconds": 0,
            "degraded_performance_seconds": 0,
            "under_maintenance_seconds": 0,
            "worst_status": "partial_outage",
            "computed_at": timezone.now(),
        },
    )

    assert refresh_mirrors()["mirror_local"].endswith("files (refresh)")

    uptime = json.loads(mirror.file(component_files(published.smtp.pk)[1]).read_text())
    assert uptime["days"][-1]["uptime"] == pytest.approx(0.7)
