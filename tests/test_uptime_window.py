"""Each component's 90 days rolled up into one row (`UptimeWindow`): what `/` reads, the same
as its rows tell, kept by the writers of the rows."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

import actions
from incidents import timefmt
from incidents.models import ComponentStatus, UptimeDay, UptimeWindow
from incidents.models.uptime import Weights, histories
from incidents.models.uptime_summary import bar_strips, row_strips, window_strips
from incidents.uptime.window import roll_up_windows
from tests.factories import DAY_SECONDS, make_component, make_uptime_day, open_incident

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

WEIGHTS = Weights(major_outage=1.0, partial_outage=0.3, degraded_performance=0.1)


def today():
    return timefmt.in_zone(timezone.now()).date()


def _same(strip, history) -> None:
    read = strip.history()
    assert [(d.day, d.status, d.incident_ids) for d in read.days] == [
        (d.day, d.status, d.incident_ids) for d in history.days
    ]
    assert [d.ratio for d in read.days] == [pytest.approx(d.ratio) for d in history.days]
    assert read.ratio == pytest.approx(history.ratio)


def varied_days():
    """Components whose days tell everything a window keeps: lost uptime, incidents,
    maintenance, a day observed for nothing, a gap, rows older than the window, none."""
    imap, smtp, pop, web, old = (make_component(n) for n in ("IMAP", "SMTP", "POP", "Web", "Old"))
    day = today()
    for n in range(120):
        make_uptime_day(imap, day - timedelta(days=n), observed_seconds=80_000 + n)
    imap.uptime_days.filter(day=day - timedelta(days=3)).update(
        partial_outage_seconds=40_000, worst_status="partial_outage", incident_ids=[4, 9]
    )
    imap.uptime_days.filter(day=day - timedelta(days=40)).update(
        degraded_performance_seconds=3_000, worst_status="degraded_performance"
    )
    imap.uptime_days.filter(day=day - timedelta(days=60)).update(incident_ids=[5])  # no loss
    imap.uptime_days.filter(day=day).update(
        under_maintenance_seconds=1000, worst_status="under_maintenance"
    )
    make_uptime_day(smtp, day - timedelta(days=30), major_outage_seconds=500)  # a gap between
    make_uptime_day(smtp, day - timedelta(days=1))
    make_uptime_day(pop, day, observed_seconds=0, worst_status="operational")  # observed nothing
    make_uptime_day(old, day - timedelta(days=200), major_outage_seconds=DAY_SECONDS)
    roll_up_windows()  # the updates above were in bulk
    return [imap.pk, smtp.pk, pop.pk, web.pk, old.pk]


def test_a_window_tells_the_same_as_the_components_rows_day_by_day():
    ids = varied_days()

    from_windows = window_strips(ids, today(), 90, WEIGHTS)
    exact = histories(ids, today(), 90, WEIGHTS)

    assert set(from_windows) == set(ids)
    for pk in ids:
        _same(from_windows[pk], exact[pk])
        _same(row_strips([pk], today(), 90, WEIGHTS)[pk], exact[pk])


def test_the_status_page_reads_the_windows_in_one_query(django_assert_num_queries):
    ids = varied_days()

    with django_assert_num_queries(1):
        strips = bar_strips(ids, today(), 90, WEIGHTS)

    assert strips[ids[0]].ratio == pytest.approx(histories(ids, today(), 90, WEIGHTS)[ids[0]].ratio)


def test_yesterdays_window_is_not_read_its_components_rows_are():
    ids = varied_days()
    UptimeWindow.objects.filter(component_id=ids[0]).update(
        first_day=today() - timedelta(days=90), last_day=today() - timedelta(days=1)
    )

    assert set(window_strips(ids, today(), 90, WEIGHTS)) == set(ids[1:])
    _same(
        bar_strips(ids, today(), 90, WEIGHTS)[ids[0]], histories(ids, today(), 90, WEIGHTS)[ids[0]]
    )


def test_a_shorter_or_older_range_is_read_from_the_rows():
    ids = varied_days()

    assert window_strips(ids, today(), 30, WEIGHTS) == {}
    assert window_strips(ids, today() - timedelta(days=1), 90, WEIGHTS) == {}


def test_a_status_change_rolls_the_components_window_up_with_its_days():
    imap = make_component("IMAP", created_at=timezone.now() - timedelta(hours=30))

    incident = open_incident(
        "Logins fail",
        components={imap: ComponentStatus.PARTIAL_OUTAGE},
        at=timezone.now() - timedelta(minutes=10),
    )

    [strip] = window_strips([imap.pk], today(), 90, WEIGHTS).values()
    assert strip.day(today()).incident_ids == (incident.pk,)
    assert strip.day(today()).status == ComponentStatus.PARTIAL_OUTAGE
    assert strip.day(today()).ratio < 1
    actions.resolve_incident(incident, body="Fixed.")
    [strip] = window_strips([imap.pk], today(), 90, WEIGHTS).values()
    assert strip.day(today()).incident_ids == (incident.pk,)
    assert (
        strip.day(today()).seconds
        == row_strips([imap.pk], today(), 90, WEIGHTS)[imap.pk].day(today()).seconds
    )


def test_a_row_saved_or_deleted_as_a_model_rolls_its_window_up():
    imap = make_component("IMAP")
    row = make_uptime_day(imap, today(), major_outage_seconds=DAY_SECONDS // 2)
    [strip] = window_strips([imap.pk], today(), 90, WEIGHTS).values()
    assert strip.ratio == pytest.approx(0.5)

    row.major_outage_seconds = 0
    row.worst_status = "operational"
    row.save()
    [strip] = window_strips([imap.pk], today(), 90, WEIGHTS).values()
    assert strip.ratio == 1.0 and strip.told == {}

    row.delete()
    [strip] = window_strips([imap.pk], today(), 90, WEIGHTS).values()
    assert strip.ratio is None and strip.covered is None


def test_deleting_a_component_deletes_its_window_and_its_days():
    imap = make_component("IMAP")
    make_uptime_day(imap, today())

    imap.delete()

    assert not UptimeWindow.objects.exists() and not UptimeDay.objects.exists()


def test_the_migration_fills_the_windows_from_the_days_already_written():
    ids = varied_days()
    UptimeWindow.objects.all().delete()
    state = MigrationExecutor(connection).loader.project_state(("incidents", "0013_uptime_window"))
    module = importlib.import_module("incidents.migrations.0013_uptime_window")

    module.backfill(state.apps, None)

    from_windows = window_strips(ids, today(), 90, WEIGHTS)
    exact = histories(ids, today(), 90, WEIGHTS)
    for pk in ids:
        _same(from_windows[pk], exact[pk])
