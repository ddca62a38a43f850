"""A reminder a set time before a window starts: once per start, following reschedules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

import actions
from actions.reminders import remind_of_window
from console import tasks
from incidents.models import Maintenance
from notifier.models import Notice, NoticeKind
from tests.factories import make_component, schedule_maintenance, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

START, END = utc(2040, 1, 12, 22, 0), utc(2040, 1, 13, 0, 0)
MINUTE = timedelta(minutes=1)


def reminders(work: Maintenance | None = None) -> list[Notice]:
    notices = Notice.objects.filter(kind=NoticeKind.MAINTENANCE_REMINDER)
    if work is not None:
        notices = notices.filter(maintenance=work)
    return list(notices.order_by("id"))


def fresh(work: Maintenance) -> Maintenance:
    return Maintenance.objects.get(pk=work.pk)


@pytest.fixture
def work() -> Maintenance:
    return schedule_maintenance(
        start=START, end=END, components=[make_component("IMAP")], at=START - 48 * 60 * MINUTE
    )


def test_a_new_window_is_reminded_sixty_minutes_before_by_default(work):
    assert work.remind_minutes_before == 60
    assert work.reminder_at == START - 60 * MINUTE

    assert actions.remind_due_maintenance(now=START - 61 * MINUTE) == []
    assert reminders() == []

    [reminded] = actions.remind_due_maintenance(now=START - 60 * MINUTE)
    assert reminded.pk == work.pk
    [notice] = reminders(work)
    assert notice.maintenance_update == work.updates.get()
    assert fresh(work).reminded_for == START
    assert fresh(work).reminder_sent


def test_the_setting_gives_new_windows_their_lead(settings):
    settings.MAINTENANCE_REMINDER_MINUTES = 15
    assert schedule_maintenance(start=START, end=END).remind_minutes_before == 15
    settings.MAINTENANCE_REMINDER_MINUTES = 0
    assert schedule_maintenance(start=START, end=END).remind_minutes_before is None


def test_every_later_tick_and_a_restarted_beat_send_nothing_more(work):
    for minutes in (60, 59, 30, 1):
        actions.remind_due_maintenance(now=START - minutes * MINUTE)
    assert len(reminders(work)) == 1


def test_of_two_workers_that_read_the_window_as_due_only_one_reminds(work):
    now = START - 45 * MINUTE
    # Both read the window before either claimed it (two workers, or a beat restarted mid-tick).
    first, second = Maintenance.objects.due_for_reminder(now)[0], fresh(work)
    assert second.reminder_due(now)

    assert remind_of_window(first, now) is True
    assert remind_of_window(second, now) is False
    assert len(reminders(work)) == 1


def test_a_reschedule_moves_the_reminder_to_the_new_start(work):
    actions.remind_due_maintenance(now=START - 60 * MINUTE)
    later = START + 24 * 60 * MINUTE
    actions.reschedule_maintenance(
        work,
        scheduled_start=later,
        scheduled_end=later + 120 * MINUTE,
        body="Moved a day on.",
        posted_at=START - 50 * MINUTE,
    )
    moved = fresh(work)
    assert not moved.reminder_sent and moved.reminder_at == later - 60 * MINUTE

    # Nothing at the old time any more, and the old start is not reminded again.
    assert actions.remind_due_maintenance(now=START - 10 * MINUTE) == []
    assert actions.remind_due_maintenance(now=later - 61 * MINUTE) == []
    assert len(actions.remind_due_maintenance(now=later - 60 * MINUTE)) == 1
    first, second = reminders(work)
    assert first.maintenance_update.window_start == START
    assert second.maintenance_update.window_start == later
    assert fresh(work).reminded_for == later


def test_a_window_rescheduled_before_its_reminder_is_reminded_only_at_the_new_time(work):
    later = START + 120 * MINUTE
    actions.reschedule_maintenance(
        work,
        scheduled_start=later,
        scheduled_end=later + 60 * MINUTE,
        body="Two hours later.",
        posted_at=START - 3 * 60 * MINUTE,
        remind_minutes_before=30,
    )
    assert actions.remind_due_maintenance(now=START - 60 * MINUTE) == []
    assert actions.remind_due_maintenance(now=later - 31 * MINUTE) == []
    assert len(actions.remind_due_maintenance(now=later - 30 * MINUTE)) == 1


def test_a_claim_read_before_a_reschedule_does_not_remind_of_the_old_start(work):
    now = START - 30 * MINUTE
    [stale] = Maintenance.objects.due_for_reminder(now)
    actions.reschedule_maintenance(
        work,
        scheduled_start=START + 600 * MINUTE,
        scheduled_end=END + 600 * MINUTE,
        body="Moved.",
        posted_at=now,
    )
    assert remind_of_window(stale, now) is False
    assert reminders() == []


def test_cancelled_and_postponed_windows_are_not_reminded(work):
    actions.cancel_maintenance(work, body="Not needed.", posted_at=START - 120 * MINUTE)
    other = schedule_maintenance(start=START, end=END, at=START - 120 * MINUTE)
    actions.start_maintenance(other, posted_at=START - 100 * MINUTE)
    actions.postpone_maintenance(other, body="Reverted.", posted_at=START - 90 * MINUTE)

    assert actions.remind_due_maintenance(now=START - 60 * MINUTE) == []
    assert reminders() == []


def test_a_window_with_the_reminder_off_is_not_reminded():
    quiet = schedule_maintenance(start=START, end=END)
    actions.reschedule_maintenance(
        quiet,
        scheduled_start=START,
        scheduled_end=END + MINUTE,
        body="Longer.",
        remind_minutes_before=0,
    )
    assert fresh(quiet).remind_minutes_before is None and fresh(quiet).reminder_at is None
    off = actions.schedule_maintenance(
        title="Quiet", body="", scheduled_start=START, scheduled_end=END, remind_minutes_before=None
    )
    assert off.remind_minutes_before is None
    assert actions.remind_due_maintenance(now=START - 30 * MINUTE) == []


def test_a_window_already_started_is_not_reminded_late(work):
    # The beat was down through the reminder time and the start: the start notice says it.
    assert actions.remind_due_maintenance(now=START) == []
    assert actions.remind_due_maintenance(now=START + MINUTE) == []
    assert reminders() == []


def test_a_beat_back_before_the_start_reminds_late_rather_than_never(work):
    [reminded] = actions.remind_due_maintenance(now=START - 5 * MINUTE)
    assert reminded.pk == work.pk


@pytest.mark.parametrize(
    ("value", "message"),
    [(-5, "whole minutes"), (7 * 24 * 60 + 1, "at most 10080 minutes"), (True, "whole minutes")],
)
def test_a_bad_reminder_lead_is_refused_with_a_clear_error(value, message):
    with pytest.raises(ValidationError) as refused:
        actions.schedule_maintenance(
            title="Bad",
            body="",
            scheduled_start=START,
            scheduled_end=END,
            remind_minutes_before=value,
        )
    assert message in str(refused.value.message_dict["remind_minutes_before"])
    assert not Maintenance.objects.exists()


def test_the_beat_tick_sends_the_reminder(work, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: START - 59 * MINUTE)
    assert tasks.advance_maintenance() == 1
    assert tasks.advance_maintenance() == 0
    assert len(reminders(work)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_on_postgresql_send_one_reminder():
    """The second UPDATE waits on the first's row lock, then finds reminded_for set."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections: run with --postgres")
    work = schedule_maintenance(start=START, end=END, at=START - 120 * MINUTE)
    now = START - 40 * MINUTE
    stale = [fresh(work), fresh(work)]
    claimed_first, release = threading.Event(), threading.Event()
    outcome: dict[str, bool] = {}

    def first() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                outcome["first"] = remind_of_window(stale[0], now)
                claimed_first.set()
                release.wait(30)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            outcome["second"] = remind_of_window(stale[1], now)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert claimed_first.wait(30)
    two = threading.Thread(target=second)
    two.start()
    with connection.cursor() as cursor:  # wait until the second is blocked on the row lock
        for _ in range(3000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE %%'"
            )
            if cursor.fetchone()[0]:
                break
        else:
            pytest.fail("the second claim never waited on the first")
    release.set()
    one.join(30)
    two.join(30)
    assert outcome == {"first": True, "second": False}
    assert len(reminders(work)) == 1


def test_a_window_announced_to_nobody_is_reminded_to_nobody():
    # Imports and the demo data schedule with no channels: no reminder unless asked for.
    silent = actions.schedule_maintenance(
        title="Imported", body="", scheduled_start=START, scheduled_end=END, channels=[]
    )
    assert silent.remind_minutes_before is None
    asked = actions.schedule_maintenance(
        title="Asked",
        body="",
        scheduled_start=START,
        scheduled_end=END,
        channels=[],
        remind_minutes_before=30,
    )
    assert [m.pk for m in actions.remind_due_maintenance(now=START - 30 * MINUTE)] == [asked.pk]


def test_the_reminder_does_not_count_as_delivering_the_update_it_points_at():
    from incidents.api.serializers import ComponentTree
    from incidents.api.serializers import maintenance as serialize

    quiet = actions.schedule_maintenance(
        title="Quiet",
        body="",
        scheduled_start=START,
        scheduled_end=END,
        channels=[],
        remind_minutes_before=60,
    )
    actions.remind_due_maintenance(now=START - 60 * MINUTE)
    assert len(reminders(quiet)) == 1
    for shown in (quiet, Maintenance.objects.with_timeline().get(pk=quiet.pk)):
        [update] = serialize(shown, ComponentTree.load())["incident_updates"]
        assert update["deliver_notifications"] is False


def test_a_window_announced_inside_its_reminder_time_gets_no_second_notice():
    from django.utils import timezone

    now = timezone.now()
    soon = actions.schedule_maintenance(
        title="Urgent", body="", scheduled_start=now + 20 * MINUTE, scheduled_end=now + 80 * MINUTE
    )
    assert soon.reminded_for == soon.scheduled_start
    later = schedule_maintenance(start=now + 300 * MINUTE, end=now + 400 * MINUTE)
    actions.reschedule_maintenance(
        later, scheduled_start=now + 30 * MINUTE, scheduled_end=now + 90 * MINUTE, body="Sooner."
    )
    assert actions.remind_due_maintenance(now=now + MINUTE) == []
    assert reminders() == []
