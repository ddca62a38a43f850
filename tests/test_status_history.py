"""Every status change through the actions leaves its period in the history, in time order."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

import actions
from incidents.models import (
    AuditEntry,
    Component,
    ComponentStatus,
    IncidentStatus,
    OutOfOrderChange,
    PeriodCause,
    Probe,
    ProbeKind,
    StatusPeriod,
)
from notifier.models import Delivery, Notice
from tests.factories import make_component, open_incident, schedule_maintenance, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

T0 = utc(2025, 3, 10, 8, 0)
HOUR = timedelta(hours=1)
OPERATIONAL = ComponentStatus.OPERATIONAL
MAJOR = ComponentStatus.MAJOR_OUTAGE
PARTIAL = ComponentStatus.PARTIAL_OUTAGE
MAINTENANCE = ComponentStatus.UNDER_MAINTENANCE


def history(component: Component) -> list[tuple[str, object, object, str]]:
    """(status, from, to, cause) of each period, oldest first."""
    return [
        (p.status, p.started_at, p.ended_at, p.cause)
        for p in StatusPeriod.objects.filter(component=component).order_by("started_at", "pk")
    ]


def current(component: Component) -> StatusPeriod:
    return StatusPeriod.objects.current().get(component=component)


def made_at(name: str, at=T0 - 24 * HOUR) -> Component:
    return make_component(name, created_at=at)


def test_an_incident_opened_later_than_it_started_counts_from_its_start():
    imap = made_at("IMAP")
    incident = open_incident(components={imap: MAJOR}, at=T0)
    assert history(imap) == [
        (OPERATIONAL, T0 - 24 * HOUR, T0, "staff"),
        (MAJOR, T0, None, "incident"),
    ]
    assert current(imap).incident == incident

    smtp = made_at("SMTP")
    started = T0 + HOUR
    incident = actions.open_incident(
        title="SMTP refuses mail",
        body="We are looking into it.",
        component_statuses={smtp: PARTIAL},
        started_at=started,
        posted_at=started + 20 * timedelta(minutes=1),
    )
    assert history(smtp)[-1] == (PARTIAL, started, None, "incident")


def test_updates_resolution_and_reopening_each_write_their_period():
    imap = made_at("IMAP")
    incident = open_incident(components={imap: MAJOR}, at=T0)
    actions.post_incident_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="A disk failed.",
        component_statuses={imap: PARTIAL},
        posted_at=T0 + HOUR,
    )
    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + 2 * HOUR)
    actions.post_incident_update(
        incident, status=IncidentStatus.INVESTIGATING, body="It is back.", posted_at=T0 + 3 * HOUR
    )
    assert history(imap) == [
        (OPERATIONAL, T0 - 24 * HOUR, T0, "staff"),
        (MAJOR, T0, T0 + HOUR, "incident"),
        (PARTIAL, T0 + HOUR, T0 + 2 * HOUR, "incident"),
        (OPERATIONAL, T0 + 2 * HOUR, T0 + 3 * HOUR, "incident"),
        (PARTIAL, T0 + 3 * HOUR, None, "incident"),
    ]
    assert {p.incident_id for p in StatusPeriod.objects.filter(component=imap)} == {
        None,
        incident.pk,
    }


def test_an_update_that_changes_no_status_writes_no_period():
    imap = made_at("IMAP")
    incident = open_incident(components={imap: MAJOR}, at=T0)
    actions.post_incident_update(
        incident, status=IncidentStatus.IDENTIFIED, body="Found it.", posted_at=T0 + HOUR
    )
    assert len(history(imap)) == 2


def test_maintenance_start_and_finish_write_periods_caused_by_the_window():
    imap, pop = made_at("IMAP"), made_at("POP")
    work = schedule_maintenance(start=T0, end=T0 + 2 * HOUR, components=[imap, pop], at=T0 - HOUR)
    assert history(imap) == []  # scheduling changes nothing (and this row has no history yet)
    actions.start_maintenance(work, posted_at=T0)
    actions.complete_maintenance(work, posted_at=T0 + 2 * HOUR)
    assert history(imap)[1:] == [
        (MAINTENANCE, T0, T0 + 2 * HOUR, "maintenance"),
        (OPERATIONAL, T0 + 2 * HOUR, None, "maintenance"),
    ]
    assert current(pop).maintenance == work


def test_cancelling_work_in_progress_ends_its_maintenance_period():
    imap = made_at("IMAP")
    work = schedule_maintenance(start=T0, end=T0 + 2 * HOUR, components=[imap], at=T0 - HOUR)
    actions.start_maintenance(work, posted_at=T0)
    actions.postpone_maintenance(work, body="Rolled back.", posted_at=T0 + HOUR)
    actions.cancel_maintenance(work, body="Not needed after all.", posted_at=T0 + 2 * HOUR)
    assert history(imap)[1:] == [
        (MAINTENANCE, T0, T0 + HOUR, "maintenance"),
        (OPERATIONAL, T0 + HOUR, None, "maintenance"),
    ]


def test_a_window_ending_under_an_open_incident_hands_the_component_to_it():
    imap = made_at("IMAP")
    work = schedule_maintenance(start=T0, end=T0 + 3 * HOUR, components=[imap], at=T0 - HOUR)
    actions.start_maintenance(work, posted_at=T0)
    open_incident(components={imap: PARTIAL}, at=T0 + HOUR)
    actions.complete_maintenance(work, posted_at=T0 + 3 * HOUR)
    # The incident took it from maintenance; completing the window left it to the incident.
    assert [p[0] for p in history(imap)] == [OPERATIONAL, MAINTENANCE, PARTIAL]


def test_staff_setting_a_status_writes_a_period_at_that_moment(django_capture_on_commit_callbacks):
    imap = made_at("IMAP")
    actions.set_component_status(imap, MAJOR, at=T0)
    actions.set_component_status(imap, OPERATIONAL, at=T0 + HOUR)
    assert history(imap)[1:] == [
        (MAJOR, T0, T0 + HOUR, "staff"),
        (OPERATIONAL, T0 + HOUR, None, "staff"),
    ]


def make_probe(component: Component) -> Probe:
    return Probe.objects.create(
        component=component, name="IMAPS", kind=ProbeKind.IMAP, host="mail.example.com", port=993
    )


def test_a_probe_sets_the_status_with_itself_as_cause_and_tells_no_person():
    imap = made_at("IMAP")
    probe = make_probe(imap)
    notices = Notice.objects.count()
    assert actions.set_status_by_probe(imap, MAJOR, probe=probe, at=T0) is True
    assert actions.set_status_by_probe(imap, MAJOR, probe=probe, at=T0 + HOUR) is False
    assert actions.set_status_by_probe(imap, OPERATIONAL, probe=probe, at=T0 + 2 * HOUR)
    assert history(imap)[1:] == [
        (MAJOR, T0, T0 + 2 * HOUR, "probe"),
        (OPERATIONAL, T0 + 2 * HOUR, None, "probe"),
    ]
    assert current(imap).probe == probe
    assert Component.objects.get(pk=imap.pk).status == OPERATIONAL
    entries = AuditEntry.objects.filter(action="component.status").order_by("at")
    assert [(e.actor_name, e.after["status"], e.after["probe"]) for e in entries] == [
        ("", MAJOR, "IMAPS"),
        ("", OPERATIONAL, "IMAPS"),
    ]
    # No mirror is configured here: the notices name no channel and nothing is delivered.
    assert [n.channels for n in Notice.objects.all()[notices:]] == [[], []]
    assert not Delivery.objects.exists()


def test_a_probe_status_change_goes_to_the_mirror_only(settings, tmp_path):
    settings.MIRROR_LOCAL_DIR = str(tmp_path)
    imap = made_at("IMAP")
    actions.set_status_by_probe(imap, MAJOR, probe=make_probe(imap), at=T0)
    notice = Notice.objects.get()
    assert notice.channels == ["mirror_local"]


def test_each_component_has_one_current_period_whatever_happens():
    imap, smtp = made_at("IMAP"), made_at("SMTP")
    incident = open_incident(components={imap: MAJOR, smtp: PARTIAL}, at=T0)
    actions.set_component_status(smtp, OPERATIONAL, at=T0 + HOUR)
    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + 2 * HOUR)
    for component in (imap, smtp):
        assert StatusPeriod.objects.current().filter(component=component).count() == 1
        assert current(component).status == Component.objects.get(pk=component.pk).status
        periods = list(StatusPeriod.objects.filter(component=component).order_by("started_at"))
        for before, after in itertools.pairwise(periods):
            assert before.ended_at == after.started_at


def test_a_new_component_starts_its_history_when_it_is_created():
    component = actions.create_component(name="CalDAV")
    assert history(component) == [(OPERATIONAL, component.created_at, None, "staff")]


def test_backdated_changes_in_time_order_give_the_past_history():
    imap = made_at("IMAP", at=T0 + 1000 * HOUR)  # the record is older than the row
    first = open_incident(components={imap: MAJOR}, at=T0)
    actions.resolve_incident(first, body="Fixed.", posted_at=T0 + HOUR)
    second = open_incident(components={imap: PARTIAL}, at=T0 + 5 * HOUR)
    actions.resolve_incident(second, body="Fixed.", posted_at=T0 + 6 * HOUR)
    assert history(imap) == [
        (MAJOR, T0, T0 + HOUR, "incident"),
        (OPERATIONAL, T0 + HOUR, T0 + 5 * HOUR, "incident"),
        (PARTIAL, T0 + 5 * HOUR, T0 + 6 * HOUR, "incident"),
        (OPERATIONAL, T0 + 6 * HOUR, None, "incident"),
    ]


def test_a_change_dated_before_the_last_one_is_refused_and_writes_nothing():
    imap = made_at("IMAP")
    incident = open_incident(components={imap: MAJOR}, at=T0)
    before = history(imap)
    with pytest.raises(OutOfOrderChange, match="time order"):
        actions.resolve_incident(incident, body="Fixed.", posted_at=T0 - HOUR)
    assert history(imap) == before
    assert incident.updates.count() == 1
    assert Component.objects.get(pk=imap.pk).status == MAJOR


def test_an_incident_that_started_before_the_last_change_counts_from_that_change():
    imap = made_at("IMAP")
    actions.set_component_status(imap, PARTIAL, at=T0)
    actions.open_incident(
        title="IMAP is down",
        body="Down.",
        component_statuses={imap: MAJOR},
        started_at=T0 - HOUR,
        posted_at=T0 + HOUR,
    )
    # The staff's period would be empty from the incident's clamped start: the incident's.
    assert history(imap) == [
        (OPERATIONAL, T0 - 24 * HOUR, T0, "staff"),
        (MAJOR, T0, None, "incident"),
    ]


def test_the_beat_starting_a_window_late_never_writes_before_a_later_change():
    imap = made_at("IMAP")
    work = schedule_maintenance(start=T0, end=T0 + 3 * HOUR, components=[imap], at=T0 - HOUR)
    actions.set_component_status(imap, PARTIAL, at=T0 + HOUR)  # the beat was down meanwhile
    actions.advance_maintenance(now=T0 + 2 * HOUR)
    assert history(imap)[-1][:2] == (MAINTENANCE, T0 + HOUR)
    assert work.updates.order_by("posted_at").last().posted_at == T0 + HOUR
    assert history(imap)[-1][3] == PeriodCause.MAINTENANCE


def test_a_probe_that_noticed_before_a_later_change_counts_from_that_change():
    imap = made_at("IMAP")
    actions.set_component_status(imap, PARTIAL, at=T0 + HOUR)
    actions.set_status_by_probe(imap, MAJOR, probe=make_probe(imap), at=T0)
    assert history(imap)[-1] == (MAJOR, T0 + HOUR, None, "probe")


def test_an_importer_starts_a_component_in_the_past_and_writes_its_history_after():
    since = T0 - 1000 * HOUR
    imap = actions.create_component(name="IMAP", since=since)
    incident = open_incident(components={imap: MAJOR}, at=T0 - 500 * HOUR)
    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 - 499 * HOUR)
    assert [p[:2] for p in history(imap)] == [
        (OPERATIONAL, since),
        (MAJOR, T0 - 500 * HOUR),
        (OPERATIONAL, T0 - 499 * HOUR),
    ]
