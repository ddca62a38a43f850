"""Status periods rolled up into one UptimeDay per component and day in the site's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

import actions
from incidents.models import Component, ComponentStatus, PeriodCause, StatusPeriod, UptimeDay
from incidents.uptime.days import day_bounds, roll_up_days, roll_up_recent, uptime_batch
from tests.factories import OSLO, make_component, open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

HOUR = timedelta(hours=1)
MAJOR = ComponentStatus.MAJOR_OUTAGE
PARTIAL = ComponentStatus.PARTIAL_OUTAGE
OPERATIONAL = ComponentStatus.OPERATIONAL


@pytest.fixture(autouse=True)
def _oslo(settings) -> None:
    settings.SITE_TIME_ZONE = "Europe/Oslo"


def periods(component: Component, *spans: tuple[str, datetime, datetime | None]) -> None:
    """Write the component's history directly: (status, from, to) in time order."""
    StatusPeriod.objects.bulk_create(
        StatusPeriod(
            component=component, status=status, started_at=start, ended_at=end, cause="staff"
        )
        for status, start, end in spans
    )


def row(component: Component, day: date) -> UptimeDay:
    return UptimeDay.objects.get(component=component, day=day)


def test_a_normal_day_counts_its_86400_seconds_by_status():
    imap = make_component("IMAP")
    periods(
        imap,
        (OPERATIONAL, oslo(2025, 6, 1), oslo(2025, 6, 10, 10)),
        (MAJOR, oslo(2025, 6, 10, 10), oslo(2025, 6, 10, 12)),
        (PARTIAL, oslo(2025, 6, 10, 12), oslo(2025, 6, 10, 12, 30)),
        (OPERATIONAL, oslo(2025, 6, 10, 12, 30), None),
    )
    roll_up_days(imap.pk, date(2025, 6, 9), date(2025, 6, 11), now=oslo(2025, 7, 1))
    day = row(imap, date(2025, 6, 10))
    assert (day.observed_seconds, day.major_outage_seconds, day.partial_outage_seconds) == (
        86400,
        7200,
        1800,
    )
    assert day.worst_status == MAJOR
    quiet = row(imap, date(2025, 6, 9))
    assert (quiet.observed_seconds, quiet.major_outage_seconds, quiet.worst_status) == (
        86400,
        0,
        OPERATIONAL,
    )
    assert UptimeDay.objects.filter(component=imap).count() == 3


def test_the_spring_forward_day_in_oslo_is_23_hours_long():
    imap = make_component("IMAP")
    periods(imap, (MAJOR, oslo(2025, 3, 1), None))
    roll_up_days(imap.pk, date(2025, 3, 29), date(2025, 3, 31), now=oslo(2025, 4, 2))
    assert row(imap, date(2025, 3, 30)).observed_seconds == 23 * 3600
    assert row(imap, date(2025, 3, 30)).major_outage_seconds == 23 * 3600
    assert row(imap, date(2025, 3, 29)).observed_seconds == 24 * 3600
    assert row(imap, date(2025, 3, 31)).observed_seconds == 24 * 3600


def test_the_fall_back_day_in_oslo_is_25_hours_long_and_its_extra_hour_counts():
    imap = make_component("IMAP")
    # 02:30 happens twice on 26 October 2025: the outage covers the second 02:00-03:00 too.
    start = datetime(2025, 10, 26, 2, 30, tzinfo=OSLO)  # the first 02:30 (CEST)
    end = datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=OSLO)  # the second (CET)
    periods(
        imap,
        (OPERATIONAL, oslo(2025, 10, 1), start),
        (MAJOR, start, end),
        (OPERATIONAL, end, None),
    )
    roll_up_days(imap.pk, date(2025, 10, 26), date(2025, 10, 26), now=oslo(2025, 11, 1))
    day = row(imap, date(2025, 10, 26))
    assert day.observed_seconds == 25 * 3600
    assert day.major_outage_seconds == 3600


def test_midnight_is_found_by_the_zone_never_by_adding_a_day_of_seconds():
    start, end = day_bounds(date(2025, 3, 30), OSLO)
    assert end.timestamp() - start.timestamp() == 23 * 3600
    start, end = day_bounds(date(2025, 10, 26), OSLO)
    assert end.timestamp() - start.timestamp() == 25 * 3600


def test_a_period_crossing_midnight_counts_on_both_days_with_its_incident():
    imap = make_component("IMAP", created_at=oslo(2025, 5, 1))
    incident = open_incident(components={imap: MAJOR}, at=oslo(2025, 5, 20, 23))
    actions.resolve_incident(incident, body="Fixed.", posted_at=oslo(2025, 5, 21, 1, 15))
    roll_up_days(imap.pk, date(2025, 5, 19), date(2025, 5, 22), now=oslo(2025, 6, 1))
    first, second = row(imap, date(2025, 5, 20)), row(imap, date(2025, 5, 21))
    assert (first.major_outage_seconds, second.major_outage_seconds) == (3600, 4500)
    assert first.incident_ids == second.incident_ids == [incident.pk]
    assert row(imap, date(2025, 5, 19)).incident_ids == []
    assert row(imap, date(2025, 5, 22)).incident_ids == []


def test_today_is_counted_up_to_now_and_no_further():
    imap = make_component("IMAP")
    periods(
        imap,
        (OPERATIONAL, oslo(2025, 6, 1), oslo(2025, 6, 10, 8)),
        (PARTIAL, oslo(2025, 6, 10, 8), None),
    )
    now = oslo(2025, 6, 10, 9, 30)
    roll_up_days(imap.pk, date(2025, 6, 10), date(2025, 6, 12), now=now)
    today = row(imap, date(2025, 6, 10))
    assert (today.observed_seconds, today.partial_outage_seconds) == (9.5 * 3600, 5400)
    assert today.computed_at == now
    assert not UptimeDay.objects.filter(component=imap, day__gt=date(2025, 6, 10)).exists()


def test_a_day_before_the_history_began_has_no_row_and_the_first_day_counts_from_it():
    imap = make_component("IMAP")
    periods(imap, (OPERATIONAL, oslo(2025, 6, 10, 18), None))
    roll_up_days(imap.pk, date(2025, 6, 9), date(2025, 6, 10), now=oslo(2025, 7, 1))
    assert list(
        UptimeDay.objects.filter(component=imap).values_list("day", "observed_seconds")
    ) == [(date(2025, 6, 10), 6 * 3600)]


def test_an_incident_open_on_a_component_already_down_is_named_on_its_days():
    imap = make_component("IMAP", created_at=oslo(2025, 5, 1))
    actions.set_component_status(imap, MAJOR, at=oslo(2025, 5, 20, 9))
    incident = open_incident(components={imap: MAJOR}, at=oslo(2025, 5, 20, 10))
    assert StatusPeriod.objects.current().get(component=imap).cause == PeriodCause.STAFF
    roll_up_days(imap.pk, date(2025, 5, 20), date(2025, 5, 21), now=oslo(2025, 5, 21, 12))
    assert row(imap, date(2025, 5, 20)).incident_ids == [incident.pk]
    assert row(imap, date(2025, 5, 21)).incident_ids == [incident.pk]  # still open


def test_maintenance_is_counted_apart_and_never_as_an_outage():
    imap = make_component("IMAP", created_at=oslo(2025, 5, 1))
    work = schedule_maintenance(
        start=oslo(2025, 5, 20, 4), end=oslo(2025, 5, 20, 6), components=[imap], at=oslo(2025, 5, 2)
    )
    actions.start_maintenance(work, posted_at=oslo(2025, 5, 20, 4))
    actions.complete_maintenance(work, posted_at=oslo(2025, 5, 20, 6))
    day = row(imap, date(2025, 5, 20))
    assert (day.under_maintenance_seconds, day.major_outage_seconds) == (7200, 0)
    assert day.worst_status == ComponentStatus.UNDER_MAINTENANCE
    assert day.incident_ids == []


def test_each_change_brings_its_days_up_to_date_in_its_transaction():
    now = timezone.now()
    imap = make_component("IMAP", created_at=now - 72 * HOUR)
    actions.set_component_status(imap, MAJOR, at=now - 2 * HOUR)
    days = list(UptimeDay.objects.filter(component=imap).order_by("day"))
    assert days[0].day == (now - 72 * HOUR).astimezone(OSLO).date()
    assert days[-1].day == now.astimezone(OSLO).date()
    assert sum(d.major_outage_seconds for d in days) == pytest.approx(7200, abs=5)
    assert days[0].major_outage_seconds == 0


def test_a_batch_rolls_the_days_up_once_at_its_end():
    imap = make_component("IMAP", created_at=oslo(2025, 5, 1))
    with uptime_batch():
        incident = open_incident(components={imap: MAJOR}, at=oslo(2025, 5, 20, 10))
        actions.resolve_incident(incident, body="Fixed.", posted_at=oslo(2025, 5, 20, 11))
        assert not UptimeDay.objects.exists()
    assert row(imap, date(2025, 5, 20)).major_outage_seconds == 3600
    assert row(imap, date(2025, 5, 1)).observed_seconds == 86400


def test_the_beat_closes_yesterday_and_starts_the_history_of_untouched_components():
    imap = make_component("IMAP", created_at=oslo(2025, 5, 1, 12))
    smtp = make_component("SMTP", created_at=oslo(2025, 5, 1, 12))
    actions.set_component_status(imap, PARTIAL, at=oslo(2025, 5, 3, 12))
    roll_up_recent(now=oslo(2025, 5, 4, 0, 30))
    assert row(imap, date(2025, 5, 3)).partial_outage_seconds == 12 * 3600
    assert row(imap, date(2025, 5, 4)).observed_seconds == 1800
    assert StatusPeriod.objects.filter(component=smtp).count() == 1
    assert row(smtp, date(2025, 5, 1)).observed_seconds == 12 * 3600
    assert UptimeDay.objects.filter(component=smtp).count() == 4


def test_the_beat_fills_the_days_of_a_component_whose_status_never_changed():
    # Its first period was written when it was made, but no change ever rolled its days up.
    blog = Component.objects.create(name="Blog", created_at=oslo(2025, 5, 1, 12))
    periods(blog, (OPERATIONAL, oslo(2025, 5, 1, 12), None))
    roll_up_recent(now=oslo(2025, 5, 11, 0, 30))
    days = UptimeDay.objects.filter(component=blog).order_by("day")
    assert [d.day for d in days] == [date(2025, 5, n) for n in range(1, 12)]
    roll_up_recent(now=oslo(2025, 5, 20, 0, 30))
    assert UptimeDay.objects.filter(component=blog).count() == 20


def test_an_incident_opened_and_resolved_at_once_is_still_named_on_its_day():
    imap = make_component("IMAP", created_at=oslo(2025, 5, 1))
    incident = open_incident(components={imap: PARTIAL}, at=oslo(2025, 5, 20, 12))
    actions.resolve_incident(incident, body="Over already.", posted_at=oslo(2025, 5, 20, 12))
    roll_up_days(imap.pk, date(2025, 5, 19), date(2025, 5, 21), now=oslo(2025, 6, 1))
    assert row(imap, date(2025, 5, 20)).incident_ids == [incident.pk]
    assert row(imap, date(2025, 5, 20)).partial_outage_seconds == 0
    assert row(imap, date(2025, 5, 21)).incident_ids == []


def test_beat_rolls_the_days_up_every_uptime_rollup_interval(settings):
    from statuspage.celery import app

    app.loader.import_default_modules()
    app.finalize()
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert "console.roll_up_uptime" in app.tasks
    assert schedule["console.roll_up_uptime"] == float(settings.UPTIME_ROLLUP_SECONDS)


def test_the_rollup_task_writes_todays_rows():
    from console.tasks import roll_up_uptime

    imap = make_component("IMAP", created_at=timezone.now() - 3 * HOUR)
    assert roll_up_uptime() >= 1
    assert UptimeDay.objects.filter(component=imap).exists()


def test_the_days_name_every_incident_open_on_them_however_they_overlap():
    """The sweep over the days (each incident taken up at its start, dropped once ended)
    names on each day exactly the incidents whose span touches it."""
    from zoneinfo import ZoneInfo

    from incidents.uptime.days import _Span, _touches, count_days

    zone = ZoneInfo("Europe/Oslo")
    first, last = date(2025, 3, 1), date(2025, 4, 10)  # across the spring-forward day
    start, now = day_bounds(first, zone)[0], day_bounds(last, zone)[1]
    at = lambda moment: int(moment.timestamp())  # noqa: E731
    midnight = at(day_bounds(date(2025, 3, 5), zone)[0])
    incidents = [
        _Span(at(start) + 3600, None, incident_id=1),  # never resolved
        _Span(at(oslo(2025, 3, 3, 10)), at(oslo(2025, 3, 9, 2)), incident_id=2),
        _Span(midnight - 600, midnight, incident_id=3),  # ends at midnight: not the next day
        _Span(midnight, midnight, incident_id=4),  # opened and resolved at once
        _Span(at(oslo(2025, 3, 30, 1)), at(oslo(2025, 3, 31, 4)), incident_id=5),
        _Span(at(oslo(2025, 3, 20, 23)), at(oslo(2025, 3, 20, 23, 30)), incident_id=6),
        _Span(at(oslo(2025, 3, 4)), at(oslo(2025, 3, 25)), incident_id=7),  # spans others
    ]
    periods = [_Span(at(start), None, "operational")]
    totals = count_days(periods, incidents, first, last, now=now, zone=zone)
    assert len(totals) == (last - first).days + 1
    for total in totals:
        low, high = (at(bound) for bound in day_bounds(total.day, zone))
        expected = sorted(i.incident_id or 0 for i in incidents if _touches(i, low, high))
        assert total.incident_ids == expected, total.day
    by_day = {t.day: t.incident_ids for t in totals}
    assert by_day[date(2025, 3, 4)] == [1, 2, 3, 7]
    assert by_day[date(2025, 3, 5)] == [1, 2, 4, 7]
    assert by_day[date(2025, 3, 26)] == [1]
