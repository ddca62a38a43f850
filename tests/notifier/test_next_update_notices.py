"""Notices carry the promised next update: mail (text and HTML), and X and Mastodon when it fits."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

import actions
from incidents.models import ComponentStatus, IncidentStatus, IncidentUpdate
from notifier.channels.mastodon import MastodonChannel
from notifier.channels.x import XChannel
from notifier.models import Notice, Subscriber
from notifier.notice_text import render_email
from tests.factories import make_component, oslo

pytestmark = [pytest.mark.django_db]


def update_notice(body: str = "We are looking into it.", *, title: str = "Webmail is slow"):
    """An update posted at 01:45 CET that promises the next by 02:15 CET."""
    imap = make_component("IMAP")
    incident = actions.open_incident(
        title=title,
        body="Investigating.",
        component_statuses={imap: ComponentStatus.PARTIAL_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    update = actions.post_incident_update(
        incident, status=IncidentStatus.IDENTIFIED, body=body, posted_at=oslo(2013, 1, 25, 1, 45)
    )
    # A fixed past promise: the actions only accept future ones.
    IncidentUpdate.objects.filter(pk=update.pk).update(next_update_by=oslo(2013, 1, 25, 2, 15))
    return Notice.objects.get(incident_update=update)


def test_the_mail_says_when_the_next_update_comes_in_text_and_html():
    mail = render_email(update_notice())

    assert "IDENTIFIED 01:45 CET: We are looking into it.\n\nNext update by 02:15 CET.\n" in (
        mail.text
    )
    assert "<p><strong>Next update by 02:15 CET.</strong></p>" in mail.html


def test_a_mail_without_a_promise_says_nothing_of_one():
    notice = update_notice()
    IncidentUpdate.objects.filter(pk=notice.incident_update_id).update(next_update_by=None)

    mail = render_email(notice)

    assert "Next update" not in mail.text and "Next update" not in mail.html


def test_the_x_and_mastodon_texts_carry_the_promise_after_the_headline():
    notice = update_notice()
    link = f"http://127.0.0.1:8000/incidents/{notice.incident_id}/"

    for channel in (XChannel(), MastodonChannel()):
        assert channel.text(notice) == (
            "Webmail is slow: identified (01:45 CET)\n"
            "Next update by 02:15 CET.\n"
            "We are looking into it.\n"
            f"{link}"
        )


def test_a_headline_that_fills_the_post_leaves_the_promise_out():
    notice = update_notice(title="Incoming and outgoing mail delayed on the old cluster " * 4)

    text = XChannel().text(notice)

    assert "Next update" not in text
    assert text.endswith(f"/incidents/{notice.incident_id}/")


def test_a_subscriber_gets_the_promise_through_the_real_mail_server(
    inbox, eager_celery, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(email="reader@example.com")
    promise = actions.promise_in(30)
    with django_capture_on_commit_callbacks(execute=True):
        actions.open_incident(title="Webmail is slow", body="Looking.", next_update_by=promise)

    [mail] = inbox.to("reader@example.com")
    local = promise.astimezone(ZoneInfo("Europe/Oslo"))
    clock = f"{local:%H:%M} {local.tzname()}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Next update by " in text and f"{clock}." in text
    assert "Next update by " in html and f"{clock}.</strong>" in html
