"""Notices reach email subscribers through the ledger, a real SMTP server receiving them."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.test import Client

import actions
from incidents.models import ComponentStatus, IncidentStatus
from notifier import dispatch
from notifier.channels.email import EmailChannel
from notifier.models import Delivery, DeliveryState, Expansion, Notice, NoticeKind, Subscriber
from tests.factories import make_component, oslo

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def subscribe(email: str, *components) -> Subscriber:
    subscriber = Subscriber.objects.create(email=email)
    subscriber.components.set(components)
    return subscriber


@pytest.fixture
def imap():
    return make_component("IMAP")


def expanded_delivery() -> Delivery:
    """The one delivery a worker's expansion writes for the one list, written here unqueued."""
    [expansion] = Expansion.objects.select_related("notice").filter(channel="email")
    EmailChannel().expand_page(expansion.notice, after=0, limit=100)
    return Delivery.objects.get()


def open_ddos(imap, *, at: datetime | None = None, **kwargs):
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible and we're working to find out where.",
        impact="critical",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        posted_at=at,
        **kwargs,
    )


def test_every_subscriber_gets_one_mail_with_text_html_zone_and_link(
    inbox, eager_celery, imap, django_capture_on_commit_callbacks
):
    for n in range(3):
        subscribe(f"reader{n}@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(imap, at=oslo(2013, 1, 25, 0, 15))

    assert sorted(m["To"] for m in inbox.messages) == [
        "reader0@example.com",
        "reader1@example.com",
        "reader2@example.com",
    ]
    mail = inbox.to("reader0@example.com")[0]
    assert mail["Subject"] == "[Runbox Status] Email services down because of DDoS"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "INVESTIGATING 00:15 CET: Our email services are inaccessible" in text
    assert "Fri 25 Jan 2013, 00:15 CET" in html
    assert f"/incidents/{incident.pk}/" in text and f"/incidents/{incident.pk}/" in html
    assert "Affects: IMAP" in text
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 3


def test_mails_about_one_incident_form_one_thread(
    inbox, eager_celery, imap, django_capture_on_commit_callbacks
):
    subscribe("reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(imap)
    for status, body in [
        (IncidentStatus.IDENTIFIED, "We seem to be under a DDoS attack."),
        (IncidentStatus.RESOLVED, "Our services should be accessible again."),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            actions.post_incident_update(incident, status=status, body=body)

    first, second, third = inbox.to("reader@example.com")
    root = first["Message-ID"]
    assert root == f"<incident-{incident.pk}@localhost>"  # DEFAULT_FROM_EMAIL's domain
    assert "In-Reply-To" not in first
    for reply in (second, third):
        assert reply["In-Reply-To"] == root
        assert reply["References"] == root
        assert reply["Message-ID"] not in (root, first["Message-ID"])
    assert second["Message-ID"] != third["Message-ID"]
    assert third["Subject"] == first["Subject"]
    assert third.get_body(("plain",)).get_content().startswith("Resolved: ")


def test_every_mail_offers_one_click_unsubscribe_that_works_without_login(
    inbox, eager_celery, imap, django_capture_on_commit_callbacks
):
    subscribe("reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        open_ddos(imap)
    mail = inbox.to("reader@example.com")[0]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(
        r"<(http://127\.0\.0\.1:8000(/unsubscribe/[^>]+))>", mail["List-Unsubscribe"].strip()
    )
    assert url is not None
    assert url.group(1) in mail.get_body(("plain",)).get_content()
    assert "reader@example.com" not in url.group(2)  # the address is not in the link

    client = Client(enforce_csrf_checks=True)  # as a mail provider posts: no session, no token
    response = client.post(
        url.group(2), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Subscriber.objects.exists()


def test_subscribers_of_other_components_are_not_mailed(
    inbox, eager_celery, imap, django_capture_on_commit_callbacks
):
    pop = make_component("POP")
    subscribe("imap-only@example.com", imap)
    subscribe("pop-only@example.com", pop)
    subscribe("everything@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        open_ddos(imap)
    assert sorted(m["To"] for m in inbox.messages) == [
        "everything@example.com",
        "imap-only@example.com",
    ]


def test_a_refused_address_fails_alone_and_the_rest_are_sent(
    inbox, eager_celery, imap, django_capture_on_commit_callbacks
):
    subscribe("gone@example.com")
    subscribe("reader@example.com")
    inbox.refuse.add("gone@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        open_ddos(imap)
    assert [m["To"] for m in inbox.messages] == ["reader@example.com"]
    failed = Delivery.objects.get(state=DeliveryState.FAILED)
    assert failed.target == str(Subscriber.objects.get(email="gone@example.com").pk)
    assert "refused" in failed.last_error
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 1


def test_with_the_mail_server_down_the_publish_stands_and_mail_follows_later(
    settings, inbox, imap, django_capture_on_commit_callbacks
):
    subscribe("reader@example.com")
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = real_port + 1 if real_port < 65535 else real_port - 1  # nobody there
    with django_capture_on_commit_callbacks(execute=False):
        incident = open_ddos(imap)
    delivery = expanded_delivery()

    result = dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert result.retry_in is not None and result.sent == 0
    assert delivery.state == DeliveryState.RETRYING
    assert "Cannot reach the mail server" in delivery.last_error
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING  # the publish was not undone

    settings.EMAIL_PORT = real_port
    assert dispatch.run([delivery.pk]).sent == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 2
    assert len(inbox.messages) == 1


def test_a_delivery_already_sent_is_never_sent_again(inbox, imap):
    subscribe("reader@example.com")
    open_ddos(imap)
    delivery = expanded_delivery()
    assert dispatch.run([delivery.pk]).sent == 1
    assert dispatch.run([delivery.pk]).sent == 0  # a duplicate task finds nothing to claim
    assert len(inbox.messages) == 1


def test_backfills_and_demo_data_send_nothing(imap):
    subscribe("reader@example.com")
    open_ddos(imap, channels=[])
    assert not Notice.objects.exists() and not Delivery.objects.exists()


def test_each_action_records_the_notice_kind_readers_would_expect(imap):
    from tests.factories import utc

    subscribe("reader@example.com")
    work = actions.schedule_maintenance(
        title="Database replacement",
        body="",
        scheduled_start=utc(2030, 1, 1, 5),
        scheduled_end=utc(2030, 1, 1, 7),
        components=[imap],
    )
    actions.start_maintenance(work)
    actions.postpone_maintenance(work, body="Reverted; a new date follows.")
    actions.reschedule_maintenance(
        work, scheduled_start=utc(2030, 1, 8, 5), scheduled_end=utc(2030, 1, 8, 7), body="New date."
    )
    actions.cancel_maintenance(work, body="No longer needed.")
    assert list(Notice.objects.order_by("id").values_list("kind", flat=True)) == [
        NoticeKind.MAINTENANCE_SCHEDULED,
        NoticeKind.MAINTENANCE_STARTED,
        NoticeKind.MAINTENANCE_POSTPONED,
        NoticeKind.MAINTENANCE_RESCHEDULED,
        NoticeKind.MAINTENANCE_CANCELLED,
    ]
    # One mailing list per notice, expanded into deliveries by a worker, not by the publish.
    assert Expansion.objects.filter(channel="email").count() == 5
    assert not Delivery.objects.exists()


def test_a_refused_login_is_a_permanent_failure_not_retried(settings, imap):
    import smtplib

    subscribe("reader@example.com")
    open_ddos(imap)

    class RefusingBackend:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def open(self) -> None:
            raise smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication failed")

        def close(self) -> None:
            pass

    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    globals()["RefusingBackend"] = RefusingBackend
    delivery = expanded_delivery()
    assert EmailChannel.batch
    result = dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert result.retry_in is None
    assert delivery.state == DeliveryState.FAILED
    assert "refused our login" in delivery.last_error
