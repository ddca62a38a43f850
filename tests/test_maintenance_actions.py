"""Maintenance windows through actions: the lifecycle, its refusals, the periodic task."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

import actions
from actions import EditConflict
from incidents.models import (
    AuditEntry,
    Component,
    ComponentStatus,
    InvalidTransition,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
)
from notifier.models import Notice, NoticeKind
from tests.factories import make_component, open_incident, schedule_maintenance, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

START = utc(2024, 6, 3, 4, 0)
END = START + timedelta(hours=2)
HOUR = timedelta(hours=1)


def status_of(component: Component) -> str:
    return Component.objects.get(pk=component.pk).status


def fresh(maintenance: Maintenance) -> Maintenance:
    return Maintenance.objects.get(pk=maintenance.pk)


def counts() -> tuple[int, int]:
    return Maintenance.objects.count(), MaintenanceUpdate.objects.count()


def test_it_walks_maintenance_through_start_postpone_reschedule_and_completion():
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    work = schedule_maintenance(start=START, end=END, components=[imap], at=START - 48 * HOUR)
    assert work.status == MaintenanceStatus.SCHEDULED
    assert status_of(imap) == ComponentStatus.OPERATIONAL

    actions.start_maintenance(work, posted_at=START)
    assert fresh(work).status == MaintenanceStatus.IN_PROGRESS
    assert fresh(work).started_at == START
    assert status_of(imap) == ComponentStatus.UNDER_MAINTENANCE
    assert status_of(smtp) == ComponentStatus.OPERATIONAL

    actions.postpone_maintenance(
        work, body="Rolled back; a new time follows.", posted_at=START + HOUR
    )
    assert fresh(work).status == MaintenanceStatus.POSTPONED
    assert status_of(imap) == ComponentStatus.OPERATIONAL

    new_start, new_end = START + 7 * 24 * HOUR, END + 7 * 24 * HOUR
    actions.reschedule_maintenance(
        work,
        scheduled_start=new_start,
        scheduled_end=new_end,
        body="Next week.",
        posted_at=START + 2 * HOUR,
    )
    work = fresh(work)
    assert work.status == MaintenanceStatus.RESCHEDULED
    assert (work.scheduled_start, work.scheduled_end) == (new_start, new_end)
    assert work.started_at is None
    assert work.sequence == 2  # the calendar's revisions: postponed, then rescheduled
    assert work.earlier_windows() == [(START, END)]

    actions.start_maintenance(work, posted_at=new_start)
    assert status_of(imap) == ComponentStatus.UNDER_MAINTENANCE
    actions.complete_maintenance(work, posted_at=new_end)

    work = fresh(work)
    assert work.status == MaintenanceStatus.COMPLETED
    assert work.completed_at == new_end
    assert status_of(imap) == ComponentStatus.OPERATIONAL
    assert [u.status for u in reversed(work.timeline())] == [
        "scheduled",
        "in_progress",
        "postponed",
        "rescheduled",
        "in_progress",
        "completed",
    ]


def test_it_lists_every_earlier_window_oldest_first():
    work = schedule_maintenance(start=START, end=END)
    second = (START + 24 * HOUR, END + 24 * HOUR)
    third = (START + 48 * HOUR, END + 48 * HOUR)

    actions.reschedule_maintenance(
        work, scheduled_start=second[0], scheduled_end=second[1], body="Moved."
    )
    actions.reschedule_maintenance(
        work, scheduled_start=third[0], scheduled_end=third[1], body="Again."
    )

    work = fresh(work)
    assert work.sequence == 2
    assert work.earlier_windows() == [(START, END), second]


def test_it_cancels_scheduled_maintenance():
    imap = make_component("IMAP")
    work = schedule_maintenance(start=START, end=END, components=[imap])

    actions.cancel_maintenance(work, body="Not needed after all.", posted_at=START - HOUR)

    assert fresh(work).status == MaintenanceStatus.CANCELLED
    assert status_of(imap) == ComponentStatus.OPERATIONAL


def test_it_keeps_a_component_down_when_maintenance_ends_during_an_incident_on_it():
    imap = make_component("IMAP")
    work = schedule_maintenance(start=START, end=END, components=[imap])
    incident = open_incident(components={imap: ComponentStatus.PARTIAL_OUTAGE}, at=START - HOUR)

    actions.start_maintenance(work, posted_at=START)
    actions.complete_maintenance(work, posted_at=END)

    # The incident is still open; the work is over, so "under maintenance" would be wrong.
    assert incident.is_open
    assert status_of(imap) == ComponentStatus.PARTIAL_OUTAGE


def test_it_leaves_components_under_maintenance_while_other_work_holds_them():
    imap = make_component("IMAP")
    first = schedule_maintenance("Disks", start=START, end=END, components=[imap])
    second = schedule_maintenance("Kernel", start=START, end=END + HOUR, components=[imap])
    actions.start_maintenance(first, posted_at=START)
    actions.start_maintenance(second, posted_at=START)

    actions.complete_maintenance(first, posted_at=END)
    assert status_of(imap) == ComponentStatus.UNDER_MAINTENANCE

    actions.complete_maintenance(second, posted_at=END + HOUR)
    assert status_of(imap) == ComponentStatus.OPERATIONAL


def test_it_verifies_the_work_with_components_still_under_maintenance_then_completes():
    imap = make_component("IMAP")
    work = schedule_maintenance(start=START, end=END, components=[imap])
    actions.start_maintenance(work, posted_at=START)

    update = actions.verify_maintenance(work, body="Checking the new servers.", posted_at=END)

    assert update.status == MaintenanceStatus.VERIFYING
    assert update.body == "Checking the new servers."
    assert fresh(work).status == MaintenanceStatus.VERIFYING
    assert fresh(work).is_active
    assert status_of(imap) == ComponentStatus.UNDER_MAINTENANCE
    notice = Notice.objects.filter(maintenance=work).latest("id")
    assert (notice.kind, notice.maintenance_update) == (NoticeKind.MAINTENANCE_UPDATED, update)
    entry = AuditEntry.objects.about(work).first()
    assert entry.action == "maintenance.verifying"
    assert (entry.before["status"], entry.after["status"]) == ("in_progress", "verifying")
    assert entry.after["update"] == "Checking the new servers."

    actions.complete_maintenance(work, posted_at=END + HOUR)
    assert fresh(work).status == MaintenanceStatus.COMPLETED
    assert status_of(imap) == ComponentStatus.OPERATIONAL


def test_verifying_without_a_message_says_what_is_happening():
    work = _started(schedule_maintenance(start=START, end=END))

    update = actions.verify_maintenance(work)

    assert "verifying" in update.body


def test_work_resumed_after_verification_keeps_when_it_first_started():
    work = _started(schedule_maintenance(start=START, end=END))
    actions.verify_maintenance(work, posted_at=START + HOUR)

    update = actions.start_maintenance(work, posted_at=START + 2 * HOUR)

    assert fresh(work).status == MaintenanceStatus.IN_PROGRESS
    assert fresh(work).started_at == START
    assert update.body == "The work has resumed."


def test_verifying_checks_the_version():
    work = _started(schedule_maintenance(start=START, end=END))
    seen = fresh(work).version
    before = counts()

    with pytest.raises(EditConflict):
        actions.verify_maintenance(work, expected_version=seen - 1)

    assert fresh(work).status == MaintenanceStatus.IN_PROGRESS
    assert counts() == before
    actions.verify_maintenance(work, expected_version=seen)
    assert fresh(work).status == MaintenanceStatus.VERIFYING


def test_the_periodic_task_completes_a_window_being_verified_at_its_end():
    work = _started(schedule_maintenance(start=START, end=END))
    actions.verify_maintenance(work, posted_at=START + HOUR)

    updates = actions.advance_maintenance(END)

    assert [u.status for u in updates] == ["completed"]
    assert fresh(work).completed_at == END


def _started(work: Maintenance) -> Maintenance:
    actions.start_maintenance(work, posted_at=START)
    return work


def _cancelled(work: Maintenance) -> Maintenance:
    actions.cancel_maintenance(work, body="Called off.")
    return work


def _completed(work: Maintenance) -> Maintenance:
    actions.complete_maintenance(_started(work), posted_at=END)
    return work


@pytest.mark.parametrize(
    ("prepare", "move"),
    [
        (lambda w: w, lambda w: actions.complete_maintenance(w)),
        (lambda w: w, lambda w: actions.postpone_maintenance(w, body="Later.")),
        (lambda w: w, lambda w: actions.verify_maintenance(w)),
        (_completed, lambda w: actions.verify_maintenance(w)),
        (_cancelled, lambda w: actions.start_maintenance(w)),
        (_cancelled, lambda w: actions.cancel_maintenance(w, body="Again.")),
        (_completed, lambda w: actions.start_maintenance(w)),
        (_completed, lambda w: actions.cancel_maintenance(w, body="Too late.")),
        (
            _started,
            lambda w: actions.reschedule_maintenance(
                w, scheduled_start=START + 24 * HOUR, scheduled_end=END + 24 * HOUR, body="Moved."
            ),
        ),
    ],
    ids=[
        "complete-scheduled",
        "postpone-scheduled",
        "verify-scheduled",
        "verify-completed",
        "start-cancelled",
        "cancel-cancelled",
        "start-completed",
        "cancel-completed",
        "reschedule-in-progress",
    ],
)
def test_it_refuses_a_transition_the_lifecycle_does_not_allow(prepare, move):
    work = prepare(schedule_maintenance(start=START, end=END))
    status_before, before = fresh(work).status, counts()

    with pytest.raises(InvalidTransition):
        move(work)

    assert fresh(work).status == status_before
    assert counts() == before


def test_it_refuses_to_start_the_same_work_twice():
    # Two overlapping periodic ticks, or a double click, must not rewrite when the work began.
    work = _started(schedule_maintenance(start=START, end=END))
    before = counts()

    with pytest.raises(InvalidTransition):
        actions.start_maintenance(work, posted_at=START + HOUR)

    assert fresh(work).started_at == START
    assert counts() == before


def test_it_refuses_to_complete_the_same_work_twice():
    work = _completed(schedule_maintenance(start=START, end=END))
    before = counts()

    with pytest.raises(InvalidTransition):
        actions.complete_maintenance(work, posted_at=END + HOUR)

    assert fresh(work).completed_at == END
    assert counts() == before


@pytest.mark.parametrize(
    ("start", "end"),
    [(END, START), (START, START), (datetime(2024, 6, 3, 4, 0), datetime(2024, 6, 3, 6, 0))],
    ids=["end-before-start", "empty-window", "naive"],
)
def test_it_refuses_a_window_that_does_not_end_after_it_starts(start, end):
    before = counts()

    with pytest.raises(ValidationError):
        schedule_maintenance(start=start, end=end)

    assert counts() == before


def test_it_refuses_a_bad_new_window_when_rescheduling():
    work = schedule_maintenance(start=START, end=END)
    before = counts()

    with pytest.raises(ValidationError):
        actions.reschedule_maintenance(work, scheduled_start=END, scheduled_end=START, body="Oops.")

    assert counts() == before
    assert (fresh(work).scheduled_start, fresh(work).sequence) == (START, 0)


def test_it_refuses_an_empty_title_or_an_empty_postponement_note():
    with pytest.raises(ValidationError):
        schedule_maintenance(" ", start=START, end=END)
    work = _started(schedule_maintenance(start=START, end=END))
    before = counts()

    with pytest.raises(ValidationError):
        actions.postpone_maintenance(work, body="  ")

    assert counts() == before
    assert fresh(work).status == MaintenanceStatus.IN_PROGRESS


# The periodic task


def test_it_starts_due_windows_at_their_scheduled_start():
    imap = make_component("IMAP")
    due = schedule_maintenance("Due", start=START, end=END, components=[imap])
    later = schedule_maintenance("Later", start=START + HOUR, end=END + HOUR)
    manual = schedule_maintenance("Manual", start=START, end=END, auto_start=False)

    updates = actions.advance_maintenance(START + 10 * timedelta(minutes=1))

    assert [u.maintenance_id for u in updates] == [due.pk]
    assert updates[0].posted_at == START
    assert (fresh(due).status, fresh(due).started_at) == (MaintenanceStatus.IN_PROGRESS, START)
    assert status_of(imap) == ComponentStatus.UNDER_MAINTENANCE
    assert fresh(later).status == MaintenanceStatus.SCHEDULED
    assert fresh(manual).status == MaintenanceStatus.SCHEDULED


def test_it_completes_ended_windows_at_their_scheduled_end():
    imap = make_component("IMAP")
    work = _started(schedule_maintenance(start=START, end=END, components=[imap]))
    manual = _started(schedule_maintenance("Manual", start=START, end=END, auto_complete=False))

    assert actions.advance_maintenance(END - timedelta(seconds=1)) == []
    updates = actions.advance_maintenance(END)

    assert [u.maintenance_id for u in updates] == [work.pk]
    assert (fresh(work).status, fresh(work).completed_at) == (MaintenanceStatus.COMPLETED, END)
    assert status_of(imap) == ComponentStatus.OPERATIONAL
    assert fresh(manual).status == MaintenanceStatus.IN_PROGRESS


def test_it_starts_and_completes_a_window_that_passed_entirely_while_the_task_was_down():
    work = schedule_maintenance(start=START, end=END)

    updates = actions.advance_maintenance(END + HOUR)

    assert [u.status for u in updates] == ["in_progress", "completed"]
    work = fresh(work)
    assert (work.started_at, work.completed_at) == (START, END)


def test_it_starts_a_rescheduled_window_when_its_new_time_comes():
    work = schedule_maintenance(start=START, end=END)
    actions.reschedule_maintenance(
        work, scheduled_start=START + 24 * HOUR, scheduled_end=END + 24 * HOUR, body="Tomorrow."
    )

    assert actions.advance_maintenance(START + HOUR) == []
    assert len(actions.advance_maintenance(START + 24 * HOUR)) == 1
    assert fresh(work).status == MaintenanceStatus.IN_PROGRESS
