"""An import's past lands in the status history as if it had happened live: periods at the
source's times, days rolled up in the site's zone, live history of linked components kept."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

import actions
from importers.imports import import_statuspage
from incidents.models import (
    Component,
    Incident,
    Probe,
    ProbeKind,
    StatusPeriod,
    UptimeDay,
)
from incidents.uptime.replay import replay_periods
from tests.factories import make_component, utc
from tests.importers.conftest import EXAMPLE

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

HOUR = timedelta(hours=1)
# The example's earliest time (a maintenance window created 2015-09-19) and its incident on
# Actions and Pages, as its updates date it.
EARLIEST = utc(2015, 9, 19, 1, 20)
STARTED = datetime(2024, 9, 16, 21, 31, 2, 713000, tzinfo=UTC)
WORSE = datetime(2024, 9, 16, 21, 37, 26, 995000, tzinfo=UTC)
BETTER = datetime(2024, 9, 16, 21, 55, 28, 472000, tzinfo=UTC)
RESOLVED = datetime(2024, 9, 16, 22, 8, 39, 333000, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _oslo(settings) -> None:
    settings.SITE_TIME_ZONE = "Europe/Oslo"


def periods(component: Component) -> list[tuple]:
    return list(
        StatusPeriod.objects.filter(component=component)
        .order_by("started_at", "pk")
        .values_list("status", "started_at", "ended_at", "cause")
    )


def assert_one_chain(component: Component) -> None:
    """Gap-free, non-overlapping, one current period, the component's status."""
    rows = periods(component)
    for (_, _, ended, _), (_, started, _, _) in itertools.pairwise(rows):
        assert ended == started
    assert [row[2] for row in rows].count(None) == 1 and rows[-1][2] is None
    assert rows[-1][0] == Component.objects.get(pk=component.pk).status


def test_an_imported_incident_leaves_periods_at_its_update_times_and_a_day_with_downtime():
    import_statuspage([EXAMPLE])
    actions_component = Component.objects.get(name="Actions")
    incident = Incident.objects.get(title="Incident with Pages and Actions")
    assert periods(actions_component) == [
        ("operational", EARLIEST, STARTED, "staff"),
        ("partial_outage", STARTED, WORSE, "incident"),
        ("major_outage", WORSE, BETTER, "incident"),
        ("partial_outage", BETTER, RESOLVED, "incident"),
        ("operational", RESOLVED, None, "incident"),
    ]
    assert_one_chain(actions_component)
    # 23:31 in Oslo (CEST): the outage runs past midnight into the 17th there.
    sixteenth = UptimeDay.objects.get(component=actions_component, day=date(2024, 9, 16))
    assert sixteenth.worst_status == "major_outage"
    assert abs(sixteenth.major_outage_seconds - (BETTER - WORSE).total_seconds()) <= 1
    midnight = utc(2024, 9, 16, 22, 0)
    partial = (WORSE - STARTED) + (midnight - BETTER)
    assert abs(sixteenth.partial_outage_seconds - partial.total_seconds()) <= 1
    assert sixteenth.observed_seconds == 86400
    assert incident.pk in sixteenth.incident_ids
    seventeenth = UptimeDay.objects.get(component=actions_component, day=date(2024, 9, 17))
    assert abs(seventeenth.partial_outage_seconds - 8 * 60 - 39.333) <= 1
    # Every day since the source's first word is there, the quiet ones fully operational.
    quiet = UptimeDay.objects.get(component=actions_component, day=date(2020, 1, 1))
    assert (quiet.observed_seconds, quiet.worst_status) == (86400, "operational")


def test_the_pages_current_status_is_the_open_period():
    import_statuspage([EXAMPLE])
    pages = Component.objects.get(name="Pages")
    current = StatusPeriod.objects.current().get(component=pages)
    assert current.status == "degraded_performance" == pages.status
    assert current.incident == Incident.objects.get(title="Slow Pages builds")
    assert_one_chain(pages)


def test_importing_into_live_history_keeps_it_in_one_chain_and_ends_as_the_source_says():
    now = timezone.now()
    live = actions.create_component(name="Actions", since=now - 3 * HOUR)
    probe = Probe.objects.create(
        component=live, name="HTTPS", kind=ProbeKind.HTTPS, host="actions.example", port=443
    )
    actions.set_component_status(live, "partial_outage", at=now - 2 * HOUR)
    actions.set_status_by_probe(live, "major_outage", probe=probe, at=now - HOUR)
    before_import = timezone.now()

    import_statuspage([EXAMPLE])

    rows = periods(live)
    assert rows[:5] == [
        ("operational", EARLIEST, STARTED, "staff"),
        ("partial_outage", STARTED, WORSE, "incident"),
        ("major_outage", WORSE, BETTER, "incident"),
        ("partial_outage", BETTER, RESOLVED, "incident"),
        ("operational", RESOLVED, now - 2 * HOUR, "incident"),
    ]
    # The live history after it, exactly as it was written, the probe's period still its.
    assert rows[5:7] == [
        ("partial_outage", now - 2 * HOUR, now - HOUR, "staff"),
        ("major_outage", now - HOUR, rows[7][1], "probe"),
    ]
    assert StatusPeriod.objects.get(component=live, started_at=now - HOUR).probe == probe
    # The source says operational now: that counts from the import.
    status, since, ended, cause = rows[7]
    assert (status, ended, cause) == ("operational", None, "staff")
    assert before_import <= since <= timezone.now()
    assert_one_chain(live)
    today = UptimeDay.objects.get(component=live, day=timezone.localdate(now))
    assert today.major_outage_seconds > 0


def test_a_second_import_changes_nothing_in_the_history():
    import_statuspage([EXAMPLE])
    written = list(StatusPeriod.objects.order_by("pk").values())
    days = list(UptimeDay.objects.order_by("pk").values("pk", "component", "day", "computed_at"))
    import_statuspage([EXAMPLE])
    assert list(StatusPeriod.objects.order_by("pk").values()) == written
    assert (
        list(UptimeDay.objects.order_by("pk").values("pk", "component", "day", "computed_at"))
        == days
    )


def test_a_dry_run_leaves_no_period_and_no_day():
    make_component("Actions")
    import_statuspage([EXAMPLE], dry_run=True)
    assert not StatusPeriod.objects.exists() and not UptimeDay.objects.exists()


def test_backfilled_incidents_count_in_the_history_of_what_they_name():
    smtp = make_component("SMTP")
    start = utc(2014, 3, 1, 9, 0)
    actions.backfill_incidents(
        [
            actions.PastIncident(
                title="Mail delayed",
                impact="major",
                started_at=start - timedelta(minutes=10),
                updates=[
                    actions.PastUpdate("investigating", "Slow.", start, {smtp: "partial_outage"}),
                    actions.PastUpdate("resolved", "Fine.", start + HOUR, {smtp: "operational"}),
                ],
            )
        ]
    )
    assert periods(smtp) == [
        ("partial_outage", start - timedelta(minutes=10), start + HOUR, "incident"),
        ("operational", start + HOUR, None, "incident"),
    ]
    day = UptimeDay.objects.get(component=smtp, day=date(2014, 3, 1))
    assert day.partial_outage_seconds == 70 * 60


def test_a_replay_keeps_the_periods_staff_and_probes_set_live():
    now = timezone.now()
    imap = actions.create_component(name="IMAP", since=now - 5 * HOUR)
    probe = Probe.objects.create(
        component=imap, name="IMAPS", kind=ProbeKind.IMAP, host="mail.example.com", port=993
    )
    actions.set_component_status(imap, "degraded_performance", at=now - 4 * HOUR)
    actions.set_status_by_probe(imap, "major_outage", probe=probe, at=now - 3 * HOUR)
    actions.set_status_by_probe(imap, "operational", probe=probe, at=now - 2 * HOUR)
    live = list(
        StatusPeriod.objects.filter(component=imap).values_list(
            "status", "started_at", "ended_at", "cause", "probe"
        )
    )
    replay_periods(component_ids=[imap.pk])
    assert (
        list(
            StatusPeriod.objects.filter(component=imap).values_list(
                "status", "started_at", "ended_at", "cause", "probe"
            )
        )
        == live
    )
    assert [row[3] for row in live] == ["staff", "staff", "probe", "probe"]
