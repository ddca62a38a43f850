"""The facts below a notice's update (next update, window, what it affects), shared by the chat
channels: Matrix and Telegram show them as lines in that order, Slack, Teams and Discord as
facts that lead with what is affected."""

from __future__ import annotations

import pytest

import actions
from incidents.models import ComponentStatus, IncidentStatus, IncidentUpdate
from notifier.channels import matrix, telegram
from notifier.channels.chat_hooks import chat_words
from notifier.models import Notice, NoticeKind
from notifier.notice_text import notice_details, notice_text
from tests.factories import make_component, oslo, schedule_maintenance, utc

pytestmark = [pytest.mark.django_db]

WINDOW = (
    "Thu 12 Jan 2040, 06:30–08:30 CET / 05:30–07:30 UTC / 00:30–02:30 EST"
    " / 21:30–23:30 PST Wed 11 Jan"
)


def promising_update() -> Notice:
    """An update of an incident on IMAP and SMTP, posted 01:45 CET, promising one by 02:15."""
    incident = actions.open_incident(
        title="Webmail is slow",
        body="Investigating.",
        component_statuses={
            make_component("IMAP"): ComponentStatus.PARTIAL_OUTAGE,
            make_component("SMTP"): ComponentStatus.PARTIAL_OUTAGE,
        },
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    update = actions.post_incident_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Found it.",
        posted_at=oslo(2013, 1, 25, 1, 45),
    )
    # A fixed past promise: the actions only accept future ones.
    IncidentUpdate.objects.filter(pk=update.pk).update(next_update_by=oslo(2013, 1, 25, 2, 15))
    return Notice.objects.get(incident_update=update)


def scheduled_work() -> Notice:
    work = schedule_maintenance(
        start=utc(2040, 1, 12, 5, 30),
        end=utc(2040, 1, 12, 7, 30),
        components=[make_component("IMAP")],
        at=utc(2040, 1, 1),
    )
    return Notice.objects.get(maintenance=work, kind=NoticeKind.MAINTENANCE_SCHEDULED)


def test_an_update_with_a_promise_gives_the_next_update_then_what_it_affects():
    notice = promising_update()
    text = notice_text(notice)

    details = notice_details(notice, text)

    assert [(d.label, d.value, d.line) for d in details] == [
        ("Next update", "02:15 CET", "Next update by 02:15 CET."),
        ("Affects", "IMAP, SMTP", "Affects: IMAP, SMTP"),
    ]
    lines = ("Next update by 02:15 CET.", "Affects: IMAP, SMTP")
    assert matrix.message(notice).tail == (*lines, text.url)
    assert telegram.message(notice).tail == lines
    assert chat_words(notice).facts == (("Affects", "IMAP, SMTP"), ("Next update", "02:15 CET"))


def test_maintenance_gives_its_window_in_every_zone_then_what_it_affects():
    notice = scheduled_work()
    text = notice_text(notice)

    lines = (f"Window: {WINDOW}", "Affects: IMAP")
    assert tuple(d.line for d in notice_details(notice, text)) == lines
    assert matrix.message(notice).tail == (*lines, text.url)
    assert telegram.message(notice).tail == lines
    assert chat_words(notice).facts == (("Affects", "IMAP"), ("Window", WINDOW))


def test_completed_maintenance_no_longer_says_its_window():
    notice = scheduled_work()
    work = notice.maintenance
    assert work is not None
    actions.start_maintenance(work, posted_at=utc(2040, 1, 12, 5, 30))
    actions.complete_maintenance(work, body="Done.", posted_at=utc(2040, 1, 12, 7))
    done = Notice.objects.get(kind=NoticeKind.MAINTENANCE_COMPLETED)

    assert [d.label for d in notice_details(done, notice_text(done))] == ["Affects"]
    assert chat_words(done).facts == (("Affects", "IMAP"),)


def test_a_post_has_none():
    post = actions.publish_post(title="New webmail", slug="new-webmail", body="It is faster.")
    notice = Notice.objects.get(post=post)

    assert notice_details(notice, notice_text(notice)) == ()
    assert telegram.message(notice).tail == ()
