"""The uptime bars on `/` and the component page: what each bar says, and where it leads."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import caches
from django.utils import timezone

from incidents import timefmt
from incidents.uptime.window import roll_up_windows
from tests.factories import (
    DAY_SECONDS,
    make_component,
    make_group,
    make_probe_hours,
    make_uptime_day,
    open_incident,
    schedule_maintenance,
)

pytestmark = pytest.mark.django_db

# A quiet, fully up day's bar has no class: the stylesheet draws any bar so by default.
BAR = re.compile(r'<(?:a|span)(?: class="([^"]*)")?(?: href="([^"]*)")? title="([^"]*)"')


def today():
    return timefmt.in_zone(timezone.now()).date()


def bars_of(html: str) -> list[list[tuple[str, str, str]]]:
    """Each bar strip's bars as (classes, link, title), in page order."""
    strips = re.findall(r'<div class="bars" aria-hidden="true">(.*?)</div>', html)
    return [[(c, h, unescape(t)) for c, h, t in BAR.findall(strip)] for strip in strips]


@pytest.fixture
def imap_with_a_bad_day():
    imap = make_component("IMAP")
    incident = open_incident("Logins fail", components={imap: "partial_outage"})
    bad_day = today() - timedelta(days=3)
    for n in range(10):
        make_uptime_day(imap, today() - timedelta(days=n))
    imap.uptime_days.filter(day=bad_day).update(
        partial_outage_seconds=DAY_SECONDS // 2,
        worst_status="partial_outage",
        incident_ids=[incident.pk],
    )
    roll_up_windows([imap.pk])  # written in bulk: rolled up as the days' writers do
    return imap, incident, bad_day


def test_each_component_has_ninety_bars_oldest_first_dated_in_the_site_zone(
    client, imap_with_a_bad_day
):
    html = client.get("/").content.decode()

    [strip] = bars_of(html)
    assert len(strip) == 90
    assert strip[-1][2].startswith(f"{timefmt.day(today())}: 100% uptime")
    assert strip[0][2] == f"{timefmt.day(today() - timedelta(days=89))}: no data"
    assert "bar-no_data" in strip[0][0]


def test_a_bar_with_an_incident_says_its_uptime_and_title_and_links_to_it(
    client, imap_with_a_bad_day
):
    _imap, incident, bad_day = imap_with_a_bad_day

    strip = bars_of(client.get("/").content.decode())[0]

    classes, link, title = strip[-4]
    assert title == (
        f"{timefmt.day(bad_day)}: 85.00% uptime, partial outage. Incidents: Logins fail"
    )
    assert link == f"incidents/{incident.pk}/"
    assert "bar-partial_outage" in classes and "bar-incident" in classes


def test_the_same_days_are_in_text_for_readers_without_a_mouse(client, imap_with_a_bad_day):
    _imap, incident, bad_day = imap_with_a_bad_day

    html = client.get("/").content.decode()

    details = html[html.index('<details class="uptime-days">') :]
    details = details[: details.index("</details>")]
    assert "1 day with incidents or lost uptime, 89 quiet" in details
    assert f"{timefmt.day(bad_day)}: 85.00% uptime, partial outage." in details
    assert f'<a href="incidents/{incident.pk}/">Logins fail</a>' in details
    # The bars are a picture of that text, out of the tab order.
    assert 'tabindex="-1"' in html and 'class="bars" aria-hidden="true"' in html


def test_the_percentage_is_over_the_ninety_days_with_data(client, imap_with_a_bad_day):
    html = client.get("/").content.decode()

    # 10 observed days, half of one at 0.3: 1 - 0.15 / 10
    assert "<strong>98.50%</strong> uptime over the last 90 days" in html


def test_a_component_without_rows_shows_no_data_not_full_uptime(client):
    make_component("POP")

    html = client.get("/").content.decode()

    assert "No uptime data for the last 90 days" in html
    assert "100%" not in html.split('<details class="how-we-count">')[0]


def test_a_group_shows_the_worst_of_its_members(client):
    mail = make_group("Mail")
    imap, smtp = make_component("IMAP", group=mail), make_component("SMTP", group=mail)
    make_uptime_day(imap, today(), major_outage_seconds=DAY_SECONDS // 10)
    make_uptime_day(smtp, today(), major_outage_seconds=DAY_SECONDS // 5)

    html = client.get("/").content.decode()

    group_head = html[html.index('<div class="group-head">') :]
    group_head = group_head[: group_head.index("<ul>")]
    assert "<strong>80.00%</strong> uptime over the last 90 days (the worst of the group)" in (
        group_head
    )


def test_how_we_count_shows_the_configured_weights(client, settings):
    settings.UPTIME_WEIGHT_PARTIAL_OUTAGE = 0.5
    make_component("IMAP")

    html = client.get("/").content.decode()

    assert "How we count uptime" in html
    assert "a second of partial outage as 50%" in html
    assert "a second of major outage counts as 100% down" in html


def test_the_status_page_links_each_component_to_its_page(client):
    imap = make_component("IMAP")

    html = client.get("/").content.decode()

    assert f'<a href="components/{imap.pk}/">IMAP</a>' in html


def test_the_component_page_shows_uptime_over_30_90_and_365_days(client):
    imap = make_component("IMAP")
    make_uptime_day(imap, today(), major_outage_seconds=DAY_SECONDS // 2)
    make_uptime_day(imap, today() - timedelta(days=40))
    make_uptime_day(imap, today() - timedelta(days=200))

    html = client.get(f"/components/{imap.pk}/").content.decode()

    assert "<dt>Uptime, 30 days</dt><dd>50.00%</dd>" in html
    assert "<dt>Uptime, 90 days</dt><dd>75.00%</dd>" in html
    assert "<dt>Uptime, 365 days</dt><dd>83.33%</dd>" in html
    assert len(bars_of(html)[0]) == 90


def test_the_component_page_lists_its_incidents_and_maintenance_not_others(client):
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    open_incident("Logins fail", components={imap: "major_outage"})
    open_incident("Mail is queued", components={smtp: "partial_outage"})
    start = timezone.now() + timedelta(days=2)
    schedule_maintenance(
        "IMAP restart", start=start, end=start + timedelta(hours=1), components=[imap]
    )

    html = client.get(f"/components/{imap.pk}/").content.decode()

    assert "Logins fail" in html and "IMAP restart" in html
    assert "Mail is queued" not in html


def test_the_component_page_draws_its_probes_response_times_with_a_table(client):
    imap = make_component("IMAP")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    hours = [(hour - timedelta(hours=h), 40.0 + h, 100.0 + h) for h in range(1, 5)]
    probe = make_probe_hours(imap, hours, name="IMAP login")
    # An hour older than 48 hours is not drawn.
    make_probe_hours(imap, [(hour - timedelta(hours=60), 9000.0, 9999.0)], name="Old")

    html = client.get(f"/components/{imap.pk}/").content.decode()

    chart = html[html.index('<svg class="response-chart"') : html.index("</svg>")]
    assert f'<title id="chart-{probe.pk}-title">Response times of IMAP login' in chart
    assert chart.count("<polyline") == 2
    assert "a typical hour’s median <strong>42 ms</strong>" in html  # of 41, 42, 43, 44
    assert "95th percentile <strong>104 ms</strong>" in html
    assert "<td>41 ms</td><td>101 ms</td>" in html
    assert "9,999 ms" not in html


def test_the_slowest_location_is_shown_for_an_hour(client):
    imap = make_component("IMAP")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    probe = make_probe_hours(imap, [(hour, 40.0, 100.0)])
    probe.hours.create(location="tokyo", hour=hour, count=60, failures=3, median_ms=300.0)

    html = client.get(f"/components/{imap.pk}/").content.decode()

    assert "<td>300 ms</td><td>100 ms</td><td>120</td><td>3</td>" in html


def test_an_unknown_component_page_is_a_404(client):
    assert client.get("/components/999/").status_code == 404


def test_the_component_page_costs_the_same_queries_with_a_year_of_rows(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    imap = make_component("IMAP")
    make_probe_hours(imap, [(timezone.now() - timedelta(hours=2), 1.0, 2.0)])
    make_uptime_day(imap, today(), incident_ids=[1])

    def queries() -> int:
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/components/{imap.pk}/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(1, 400):
        make_uptime_day(imap, today() - timedelta(days=n), incident_ids=[n])
    assert queries() == few


def test_the_history_colours_an_incident_by_its_impact_and_says_it(client):
    open_incident("Logins fail", impact="critical")

    html = client.get("/history/").content.decode()

    assert 'class="history-entry incident impact-critical"' in html
    assert '<span class="impact-label">Critical impact</span>' in html


def test_the_hourly_rollup_renews_cached_pages_without_claiming_a_change(client):
    from console.tasks import roll_up_uptime
    from incidents.models import PublicationState

    make_component("IMAP", created_at=timezone.now() - timedelta(hours=3))
    client.get("/")
    before = PublicationState.objects.get(pk=1)

    assert roll_up_uptime() >= 1

    after = PublicationState.objects.get(pk=1)
    assert after.token != before.token
    assert after.changed_at == before.changed_at
    assert "uptime over the last 90 days" in client.get("/").content.decode()


def test_the_component_pages_bars_link_relative_to_that_page(client, imap_with_a_bad_day):
    imap, incident, _bad_day = imap_with_a_bad_day

    html = client.get(f"/components/{imap.pk}/").content.decode()

    assert bars_of(html)[0][-4][1] == f"../../incidents/{incident.pk}/"
    assert f'<a href="../../incidents/{incident.pk}/">Logins fail</a>' in html


def test_a_quiet_day_is_drawn_without_a_class_and_says_its_date(client, imap_with_a_bad_day):
    html = client.get("/").content.decode()

    assert f'<span title="{timefmt.day(today())}: 100% uptime"></span>' in html
