"""History written before the actions kept periods: the backfill migration, the demo and the
generated ten-year history all end with periods and daily uptime."""

from __future__ import annotations

import importlib
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

import actions
from actions.demo.loader import load_demo, read_demo
from incidents.models import (
    AuditEntry,
    Component,
    ComponentStatus,
    Incident,
    StatusPeriod,
    UptimeDay,
)
from incidents.uptime.days import day_of
from incidents.uptime.models import HistoryModels
from incidents.uptime.replay import replay_periods
from tests.factories import make_component, open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

HOUR = timedelta(hours=1)
MAJOR = ComponentStatus.MAJOR_OUTAGE
PARTIAL = ComponentStatus.PARTIAL_OUTAGE
FIELDS = ("component_id", "status", "started_at", "ended_at", "cause", "incident_id")


@pytest.fixture(autouse=True)
def _oslo(settings) -> None:
    settings.SITE_TIME_ZONE = "Europe/Oslo"


def all_periods() -> list[tuple]:
    return list(StatusPeriod.objects.order_by("component_id", "started_at").values_list(*FIELDS))


def write_history() -> tuple[Component, Component]:
    """A history through the actions: incidents, a window and a staff setting."""
    imap = make_component("IMAP", created_at=oslo(2014, 1, 1))
    smtp = make_component("SMTP", created_at=oslo(2014, 1, 1))
    first = actions.open_incident(
        title="IMAP down",
        body="Down.",
        component_statuses={imap: MAJOR, smtp: PARTIAL},
        started_at=oslo(2014, 3, 1, 9, 30),
        posted_at=oslo(2014, 3, 1, 10),
    )
    actions.resolve_incident(first, body="Fixed.", posted_at=oslo(2014, 3, 1, 23))
    work = schedule_maintenance(
        start=oslo(2014, 3, 5, 4), end=oslo(2014, 3, 5, 6), components=[smtp], at=oslo(2014, 3, 2)
    )
    actions.start_maintenance(work, posted_at=oslo(2014, 3, 5, 4))
    actions.complete_maintenance(work, posted_at=oslo(2014, 3, 5, 6))
    actions.set_component_status(imap, PARTIAL, at=oslo(2014, 3, 9, 12))
    actions.set_component_status(imap, ComponentStatus.OPERATIONAL, at=oslo(2014, 3, 9, 13))
    # The audit log keeps the staff's time as when it was written: give it the history's.
    for entry, at in zip(
        AuditEntry.objects.filter(action="component.status").order_by("pk"),
        [oslo(2014, 3, 9, 12), oslo(2014, 3, 9, 13)],
        strict=True,
    ):
        AuditEntry.objects.filter(pk=entry.pk).update(at=at)
    open_incident(components={imap: MAJOR}, at=oslo(2014, 4, 1, 8))  # still open
    return imap, smtp


def historical_backfill():
    """Migration 0010's function and the models as they stood at 0010."""
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(("incidents", "0010_backfill_status_periods"))
    module = importlib.import_module("incidents.migrations.0010_backfill_status_periods")
    return module.backfill, state.apps


def test_the_backfill_migration_rebuilds_the_periods_the_actions_wrote():
    write_history()
    written = all_periods()
    assert len(written) > 8
    StatusPeriod.objects.all().delete()
    UptimeDay.objects.all().delete()

    backfill, apps = historical_backfill()
    backfill(apps, None)
    assert all_periods() == written
    day = UptimeDay.objects.get(component__name="IMAP", day=date(2014, 3, 1))
    assert day.major_outage_seconds == 13.5 * 3600  # from its start at 09:30 to 23:00
    assert (
        UptimeDay.objects.get(
            component__name="SMTP", day=date(2014, 3, 5)
        ).under_maintenance_seconds
        == 7200
    )
    assert (
        UptimeDay.objects.get(component__name="IMAP", day=date(2014, 3, 9)).partial_outage_seconds
        == 3600
    )


def test_the_backfill_run_again_changes_nothing_and_leaves_live_history_alone():
    imap, _ = write_history()
    StatusPeriod.objects.filter(component__name="SMTP").delete()
    backfill, apps = historical_backfill()
    backfill(apps, None)
    once = all_periods()
    imap_rows = list(UptimeDay.objects.filter(component=imap).values_list("day", "computed_at"))
    backfill(apps, None)
    assert all_periods() == once
    # IMAP kept the periods its actions wrote; its days were not touched.
    assert (
        list(UptimeDay.objects.filter(component=imap).values_list("day", "computed_at"))
        == imap_rows
    )


def test_replaying_twice_gives_the_same_history():
    write_history()
    replay_periods(HistoryModels.current())
    once = all_periods()
    replay_periods(HistoryModels.current())
    assert all_periods() == once
    assert StatusPeriod.objects.current().count() == Component.objects.count()


def test_a_status_the_record_does_not_explain_is_kept_from_the_rows_last_edit():
    imap = make_component("IMAP", created_at=oslo(2014, 1, 1))
    Component.objects.filter(pk=imap.pk).update(status=MAJOR)  # no update, no audit entry
    replay_periods(HistoryModels.current())
    current = StatusPeriod.objects.current().get(component=imap)
    assert current.status == MAJOR
    assert StatusPeriod.objects.filter(component=imap).count() == 2


def test_rebuild_uptime_recomputes_the_days_from_the_periods():
    imap, _ = write_history()
    UptimeDay.objects.all().delete()
    call_command("rebuild_uptime")
    assert UptimeDay.objects.get(component=imap, day=date(2014, 3, 1)).major_outage_seconds > 0
    call_command("rebuild_uptime", "--replay")
    assert UptimeDay.objects.get(component=imap, day=date(2014, 3, 1)).major_outage_seconds > 0


def demo_years_with_outages() -> set[int]:
    """The years the seed file has an incident that took a component down."""
    return {
        row["started_at"].year
        for row in read_demo()["incidents"]
        if any(item["status"] != "operational" for item in row.get("components", []))
    }


def test_the_demo_history_of_2012_to_2016_has_days_with_downtime():
    load_demo()
    downtime = UptimeDay.objects.exclude(
        major_outage_seconds=0, partial_outage_seconds=0, degraded_performance_seconds=0
    )
    assert set(downtime.values_list("day__year", flat=True)) == demo_years_with_outages()
    assert UptimeDay.objects.filter(day__year__lte=2016).exclude(under_maintenance_seconds=0)
    named = {i for ids in UptimeDay.objects.values_list("incident_ids", flat=True) for i in ids}
    with_components = Incident.objects.filter(affected__isnull=False).distinct()
    assert set(with_components.values_list("pk", flat=True)) <= named
    for component in Component.objects.all():
        current = StatusPeriod.objects.current().get(component=component)
        assert current.status == component.status
        # Every component has its days up to today, even one no story ever changed.
        assert UptimeDay.objects.filter(component=component, day=day_of(timezone.now()))
    # Loading again makes nothing twice, history included.
    periods = all_periods()
    load_demo()
    assert all_periods() == periods


def test_the_generated_ten_years_have_periods_and_days():
    from benchmarks.history import generate_history

    generate_history(incidents=40, posts=5, maintenance=8, seed=3)
    assert (
        UptimeDay.objects.exclude(major_outage_seconds=0).exists()
        or UptimeDay.objects.exclude(partial_outage_seconds=0).exists()
    )
    assert UptimeDay.objects.exclude(under_maintenance_seconds=0).exists()
    first_day = UptimeDay.objects.order_by("day").first().day
    assert first_day.year <= date.today().year - 9
    for component in Component.objects.all():
        assert StatusPeriod.objects.current().get(component=component).status == component.status
    assert Incident.objects.count() == 40


def test_a_window_that_recorded_no_changes_is_replayed_from_its_moves():
    imap = make_component("IMAP", created_at=oslo(2014, 1, 1))
    work = schedule_maintenance(
        start=oslo(2014, 3, 5, 4), end=oslo(2014, 3, 5, 6), components=[imap], at=oslo(2014, 3, 2)
    )
    actions.start_maintenance(work, posted_at=oslo(2014, 3, 5, 4))
    actions.verify_maintenance(work, posted_at=oslo(2014, 3, 5, 5))
    actions.complete_maintenance(work, posted_at=oslo(2014, 3, 5, 6))
    written = all_periods()
    work.updates.update(component_changes=[])  # as written before updates recorded them
    replay_periods(HistoryModels.current())
    assert all_periods() == written
