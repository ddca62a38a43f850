"""Every public page costs the same number of queries however much history there is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import actions
from incidents import timefmt
from incidents.models import Component, ComponentStatus, IncidentStatus, UptimeDay, UptimeWindow
from incidents.uptime.window import roll_up_windows
from tests.factories import (
    bulk_history,
    make_category,
    make_component,
    make_tag,
    open_incident,
    publish_post,
    schedule_maintenance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

SMALL, LARGE = 3, 30


def queries_for(client, url: str) -> int:
    """Queries for a render (the page cache is emptied: bulk history bypasses its signals)."""
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.fixture
def grow(db) -> Callable[[int], None]:
    """Add history until there are `total` of each kind of item."""
    components = [make_component("IMAP"), make_component("SMTP")]
    category, tag = make_category("News"), make_tag("Spam")
    built = [0]

    def grow_to(total: int) -> None:
        bulk_history(
            total - built[0],
            now=timezone.now(),
            components=components,
            category=category,
            tag=tag,
        )
        built[0] = total

    return grow_to


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/history/",
        "/blog/",
        "/blog/category/news/",
        "/blog/tag/spam/",
        "/feed.atom",
        "/feed.rss",
        "/blog/category/news/feed.atom",
        "/blog/category/news/feed.rss",
    ],
)
def test_a_listing_costs_the_same_queries_with_ten_times_the_history(client, grow, url):
    grow(SMALL)
    small = queries_for(client, url)

    grow(LARGE)
    large = queries_for(client, url)

    assert large == small


def test_the_larger_history_really_shows_more(client, grow):
    grow(SMALL)
    small = client.get("/").content.decode()
    grow(LARGE)
    large = client.get("/").content.decode()

    assert large.count('class="incident ') > small.count('class="incident ') > 0
    assert large.count('class="maintenance"') > small.count('class="maintenance"') > 0


def test_the_status_page_with_every_section_costs_the_same_queries_with_more_history(client, grow):
    imap = Component.objects.get(name="IMAP")
    incident = open_incident(components={imap: ComponentStatus.MAJOR_OUTAGE})
    work = schedule_maintenance(
        start=timezone.now() - timedelta(minutes=5),
        end=timezone.now() + timedelta(hours=1),
        components=[imap],
    )
    actions.start_maintenance(work)
    publish_post(incident=incident)
    grow(SMALL)
    small = queries_for(client, "/")

    grow(LARGE)

    assert queries_for(client, "/") == small


def _incident_with(updates: int) -> str:
    components = [make_component() for _ in range(updates)]
    incident = open_incident(components=dict.fromkeys(components, ComponentStatus.PARTIAL_OUTAGE))
    for n in range(updates):
        actions.post_incident_update(
            incident,
            status=IncidentStatus.IDENTIFIED if n % 2 else IncidentStatus.MONITORING,
            body=f"Update {n}.",
            component_statuses={components[n]: ComponentStatus.DEGRADED_PERFORMANCE},
        )
    publish_post(incident=incident, categories=[make_category()], tags=[make_tag()])
    return incident.get_absolute_url()


def _maintenance_with(updates: int) -> str:
    start = timezone.now() + timedelta(days=1)
    work = schedule_maintenance(
        start=start,
        end=start + timedelta(hours=1),
        components=[make_component() for _ in range(updates)],
    )
    for n in range(updates):
        actions.reschedule_maintenance(
            work,
            scheduled_start=start + timedelta(days=n + 1),
            scheduled_end=start + timedelta(days=n + 1, hours=1),
            body=f"Moved again ({n}).",
        )
    publish_post(maintenance=work, categories=[make_category()], tags=[make_tag()])
    return work.get_absolute_url()


def _post_with(links: int) -> str:
    post = publish_post(
        categories=[make_category() for _ in range(links)],
        tags=[make_tag() for _ in range(links)],
        incident=open_incident(),
    )
    return post.get_absolute_url()


@pytest.mark.parametrize("make", [_incident_with, _maintenance_with, _post_with])
def test_a_detail_page_costs_the_same_queries_with_ten_times_the_updates(client, db, make):
    small = queries_for(client, make(2))
    large = queries_for(client, make(20))

    assert large == small


def _uptime_history(components: list[Component], days: int, incident: int) -> None:
    """`days` rolled-up days per component, ending today, each naming an incident; and their
    windows, rolled up as the writers of the days do. Rows written before are replaced: an
    action's own rollup writes today's row once a whole second has passed since its change."""
    today = timefmt.in_zone(timezone.now()).date()
    UptimeDay.objects.filter(component__in=components).delete()
    UptimeDay.objects.bulk_create(
        UptimeDay(
            component=component,
            day=today - timedelta(days=n),
            observed_seconds=86400,
            partial_outage_seconds=600 * (n % 3),
            worst_status="partial_outage" if n % 3 else "operational",
            incident_ids=[incident],
            computed_at=timezone.now(),
        )
        for component in components
        for n in range(days)
    )
    roll_up_windows([c.pk for c in components])


@pytest.mark.parametrize("url", ["/", "/components/{pk}/", "/api/v2/components/{pk}/uptime.json"])
def test_uptime_costs_the_same_queries_with_10_or_1000_days_of_history(client, db, url):
    components = [make_component(f"Service {n}") for n in range(6)]
    incident = open_incident(components={components[0]: ComponentStatus.PARTIAL_OUTAGE})
    url = url.format(pk=components[0].pk)
    _uptime_history(components, 10, incident.pk)
    short = queries_for(client, url)

    _uptime_history(components, 1000, incident.pk)
    long = queries_for(client, url)

    assert long == short


def test_the_status_page_reads_every_components_days_in_one_query(client, db):
    components = [make_component(f"Service {n}") for n in range(6)]
    _uptime_history(components, 30, 1)
    caches["pages"].clear()

    with CaptureQueriesContext(connection) as captured:
        client.get("/")

    uptime_queries = [q["sql"].lower() for q in captured.captured_queries if "uptime" in q["sql"]]
    assert len(uptime_queries) == 1
    assert "uptimewindow" in uptime_queries[0]  # one row per component, not 30


def test_without_todays_windows_the_status_page_reads_the_days_in_one_more_query(client, db):
    components = [make_component(f"Service {n}") for n in range(6)]
    _uptime_history(components, 30, 1)
    UptimeWindow.objects.update(last_day=F("last_day") - timedelta(days=1))  # yesterday's
    caches["pages"].clear()

    with CaptureQueriesContext(connection) as captured:
        html = client.get("/").content.decode()

    uptime_queries = [q["sql"].lower() for q in captured.captured_queries if "uptime" in q["sql"]]
    assert len(uptime_queries) == 2
    assert "uptimewindow" in uptime_queries[0] and "uptimeday" in uptime_queries[1]
    assert html.count("uptime over the last 90 days") == 6
