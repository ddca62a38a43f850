"""A maintenance reminder as each channel carries it: mail, webhook, X and Mastodon, no mirror."""

from __future__ import annotations

from datetime import timedelta

import pytest

import actions
from notifier import dispatch
from notifier.ledger import default_channels
from notifier.models import Delivery, Notice, NoticeKind, Subscriber
from notifier.notice_text import short_post
from notifier.registry import all_channels
from tests.factories import make_component, oslo, schedule_maintenance
from tests.notifier.expanding import write_deliveries
from tests.notifier.test_webhooks import endpoint_for, receiver  # noqa: F401

pytestmark = [pytest.mark.django_db]

MINUTE = timedelta(minutes=1)
# 23:00 CET: 22:00 UTC, 17:00 EST and 14:00 PST the same day.
START, END = oslo(2040, 1, 12, 23, 0), oslo(2040, 1, 13, 1, 0)


@pytest.fixture
def imap():
    return make_component("IMAP")


@pytest.fixture
def work(imap):
    return schedule_maintenance(
        title="Mail database upgrade",
        start=START,
        end=END,
        components=[imap],
        at=START - 48 * 60 * MINUTE,
    )


def remind(now) -> Notice:
    [reminded] = actions.remind_due_maintenance(now=now)
    return Notice.objects.get(maintenance=reminded, kind=NoticeKind.MAINTENANCE_REMINDER)


SUBJECT = (
    "[Runbox Status] Maintenance starts in 60 minutes: Mail database upgrade, "
    "23:00 CET (22:00 UTC / 17:00 EST / 14:00 PST)"
)


def test_the_subscriber_gets_a_reminder_mail_in_the_window_thread(
    inbox, eager_celery, imap, work, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(email="reader@example.com").components.set([imap])
    with django_capture_on_commit_callbacks(execute=True):
        # A tick a few seconds after the reminder time still says "60 minutes".
        remind(START - 60 * MINUTE + timedelta(seconds=20))

    [mail] = inbox.to("reader@example.com")
    assert mail["Subject"] == SUBJECT
    assert mail["In-Reply-To"] == f"<maintenance-{work.pk}@localhost>"
    assert mail["References"] == mail["In-Reply-To"]
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Maintenance starts in 60 minutes: Mail database upgrade\n")
    assert "The maintenance starts at 23:00 CET (22:00 UTC / 17:00 EST / 14:00 PST)." in text
    assert "We are upgrading the mail database." in text
    assert "Window: Thu 12 Jan 2040, 23:00 CET – Fri 13 Jan 2040, 01:00 CET" in text
    assert "Affects: IMAP" in text
    assert f"/maintenance/{work.pk}/" in text
    html = mail.get_body(("html",)).get_content()
    assert "The maintenance starts at 23:00 CET</strong> (22:00 UTC / 17:00 EST" in html


def test_a_reminder_sent_late_says_how_long_is_really_left(work):
    from notifier.notice_text import render_email

    notice = remind(START - 12 * MINUTE)
    assert render_email(notice).subject.startswith(
        "[Runbox Status] Maintenance starts in 12 minutes: Mail database upgrade, 23:00 CET"
    )


def test_the_webhook_gets_the_scheduled_incident_with_the_reminder_time(receiver, work):  # noqa: F811
    endpoint_for(receiver)
    notice = remind(START - 60 * MINUTE)
    write_deliveries()
    dispatch.run([Delivery.objects.get(notice=notice, channel="webhook").pk])

    [received] = [
        r for r in receiver.received if r.headers["X-Statuspage-Event"].endswith("reminder")
    ]
    assert received.headers["X-Statuspage-Event"] == "maintenance.reminder"
    incident = received.json["incident"]
    assert incident["id"] == f"m{work.pk}"
    assert (incident["impact"], incident["status"]) == ("maintenance", "scheduled")
    assert incident["scheduled_for"] == "2040-01-12T23:00:00.000+01:00"
    assert incident["scheduled_remind_prior"] is True
    assert incident["scheduled_reminded_at"] == "2040-01-12T22:00:00.000+01:00"
    assert [u["status"] for u in incident["incident_updates"]] == ["scheduled"]


def test_a_later_notice_of_the_window_keeps_when_it_was_reminded(receiver, work):  # noqa: F811
    endpoint_for(receiver)
    remind(START - 60 * MINUTE)
    actions.start_maintenance(work, posted_at=START)
    started = Notice.objects.get(maintenance=work, kind=NoticeKind.MAINTENANCE_STARTED)
    write_deliveries()
    dispatch.run([Delivery.objects.get(notice=started, channel="webhook").pk])

    [received] = receiver.received
    assert received.json["incident"]["scheduled_reminded_at"] == "2040-01-12T22:00:00.000+01:00"


def test_x_and_mastodon_get_a_short_post_and_the_mirror_nothing(settings, work):
    settings.MASTODON_API_BASE_URL = "https://mastodon.example"
    settings.MASTODON_ACCESS_TOKEN = "app-token"
    notice = remind(START - 60 * MINUTE)

    assert "mastodon" in notice.channels
    mirror = next(c for c in all_channels() if c.is_mirror)
    assert not mirror.fits(notice)
    assert all(not c.is_mirror for c in default_channels(notice))
    post = short_post(notice, limit=500, link_length=23)
    assert post.startswith("Maintenance starts in 60 minutes: Mail database upgrade (23:00 CET)\n")
    assert post.endswith(f"/maintenance/{work.pk}/")
