"""Notice and confirmation mails follow the mail standards, checked on a real SMTP server."""

from __future__ import annotations

import smtplib
from email.utils import parsedate_to_datetime

import pytest

import actions
from incidents.models import ComponentStatus, IncidentStatus
from notifier import dispatch, tasks
from notifier.channels import smtp_pipelining
from notifier.channels.email import EmailChannel
from notifier.models import Delivery, Expansion, Subscriber
from tests.factories import make_component, oslo

pytestmark = pytest.mark.django_db

TITLE = "Email services down because of DDoS"
FROM = "Runbox Status <status@runbox.com>"


@pytest.fixture(autouse=True)
def _mail_domain(settings) -> None:
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.SITE_URL = "http://127.0.0.1:8000"  # an address: no domain for a Message-ID


def publish_and_send(update: str | None = None) -> None:
    """Open the incident (and post `update`), sending every notice through the channel."""
    incident = actions.open_incident(
        title=TITLE,
        body="Our email services are inaccessible · we’re on it.",
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    if update:
        actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body=update)
    for mailing in Expansion.objects.select_related("notice").filter(channel="email"):
        EmailChannel().expand_page(mailing.notice, after=0, limit=100)
    dispatch.run(list(Delivery.objects.order_by("id").values_list("pk", flat=True)))


def test_notices_carry_a_stable_list_id_of_the_senders_domain_rfc_2919(inbox):
    Subscriber.objects.create(email="reader@example.com")
    publish_and_send("Found it.")
    first, second = inbox.messages
    assert first["List-Id"] == "Runbox Status <status.runbox.com>"
    assert second["List-Id"] == first["List-Id"]


def test_the_date_names_the_site_zones_offset_not_minus_0000_rfc_5322_3_3(inbox):
    Subscriber.objects.create(email="reader@example.com")
    publish_and_send()
    tasks.send_confirmation("new@example.com", [])
    for content in inbox.contents:
        date = next(line for line in content.split(b"\r\n") if line.startswith(b"Date: "))
        assert not date.endswith(b"-0000"), date
        moment = parsedate_to_datetime(date[6:].decode())
        assert moment.utcoffset() is not None
        assert date.endswith((b"+0100", b"+0200"))  # Europe/Oslo, the site zone


def test_message_ids_are_of_the_senders_domain_and_still_thread_rfc_5322_3_6_4(inbox):
    Subscriber.objects.create(email="reader@example.com")
    publish_and_send("Found it.")
    tasks.send_confirmation("new@example.com", [])
    first, second, confirmation = inbox.messages
    for mail in (first, second, confirmation):
        assert mail["Message-ID"].endswith("@runbox.com>"), mail["Message-ID"]
    assert second["In-Reply-To"] == second["References"] == first["Message-ID"]


def test_the_subject_stays_the_same_through_an_incident_and_the_body_says_the_status(inbox):
    """Clients that thread by subject (RFC 5322 3.6.5) keep one thread per incident."""
    Subscriber.objects.create(email="reader@example.com")
    publish_and_send("Found it.")
    first, second = inbox.messages
    assert first["Subject"] == second["Subject"] == f"[Runbox Status] {TITLE}"
    text = second.get_body(("plain",)).get_content()
    html = second.get_body(("html",)).get_content()
    assert text.startswith(f"Identified: {TITLE}\r\n")
    assert f">Identified: {TITLE}</a></h1>" in html
    assert first.get_body(("plain",)).get_content().startswith(f"Investigating: {TITLE}\r\n")


@pytest.mark.parametrize("pipelining", [True, False])
def test_8bit_bodies_go_only_to_a_relay_offering_8bitmime_rfc_6152(inbox, pipelining):
    inbox.pipelining = pipelining
    for n in range(3):
        Subscriber.objects.create(email=f"reader{n}@example.com")
    publish_and_send()
    assert len(inbox.contents) == 3
    assert all(not content.isascii() for content in inbox.contents)
    assert inbox.mail_options == [[*o[:1], "BODY=8BITMIME"] for o in inbox.mail_options]
    for mail in inbox.messages:
        assert "we’re on it" in mail.get_body(("plain",)).get_content()


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_relay_without_8bitmime_gets_7bit_bodies_rfc_6152(inbox, pipelining):
    inbox.pipelining = pipelining
    inbox.eight_bit_mime = False
    for n in range(3):
        Subscriber.objects.create(email=f"reader{n}@example.com")
    publish_and_send()
    tasks.send_confirmation("ønsker@example.com", [])
    assert len(inbox.contents) == 4
    assert all(content.isascii() for content in inbox.contents)
    assert not any("BODY=8BITMIME" in options for options in inbox.mail_options)
    for mail in inbox.messages[:3]:
        assert "we’re on it" in mail.get_body(("plain",)).get_content()
        assert "we’re on it" in mail.get_body(("html",)).get_content()
        for part in mail.walk():
            assert part["Content-Transfer-Encoding"] in (None, "7bit", "quoted-printable")


def test_the_pipeline_refuses_8bit_content_for_a_relay_without_8bitmime_rfc_6152(inbox):
    from django.conf import settings

    inbox.eight_bit_mime = False
    with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPNotSupportedError):
            smtp_pipelining.sendmail(smtp, "s@example.com", "r@example.com", "\r\nø".encode())
        smtp_pipelining.sendmail(smtp, "s@example.com", "r@example.com", b"\r\nplain")
    assert inbox.contents == [b"\r\nplain\r\n"]


def test_a_confirmation_is_7bit_clean_rfc_6152(inbox, settings):
    settings.SITE_NAME = "Bøkene Status"
    tasks.send_confirmation("reader@example.com", [])
    [content] = inbox.contents
    assert content.isascii()
    assert "Bøkene Status" in inbox.messages[0].get_body(("plain",)).get_content()


def test_staff_alerts_and_an_endpoints_contact_mail_follow_the_same_rules_rfc_5322(
    inbox, django_user_model
):
    """The overdue-update alert and the 'webhook disabled' mail: the site zone's offset in
    Date (3.3), a Message-ID of the sender's domain (3.6.4), not Django's defaults."""
    from console.alerts import alert_overdue_updates
    from incidents.models import IncidentUpdate
    from notifier.channels.webhook import tell_contact
    from notifier.models import WebhookEndpoint

    django_user_model.objects.create_superuser("erika", "erika@runbox.example", "pw")
    incident = actions.open_incident(
        title=TITLE, body="Looking.", posted_at=oslo(2013, 1, 25, 0, 45)
    )
    IncidentUpdate.objects.filter(incident=incident).update(next_update_by=oslo(2013, 1, 25, 1, 15))
    assert alert_overdue_updates(oslo(2013, 1, 25, 1, 32)) == 1
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/", contact_email="ops@example.com"
    )
    tell_contact(endpoint, "it answered 410 Gone", "410 Gone")

    assert len(inbox.contents) == 2
    for content in inbox.contents:
        headers = content.split(b"\r\n\r\n")[0].split(b"\r\n")
        date = next(line for line in headers if line.startswith(b"Date: "))
        assert date.endswith((b"+0100", b"+0200")), date
        message_id = next(line for line in headers if line.lower().startswith(b"message-id: "))
        assert message_id.endswith(b"@runbox.com>"), message_id
