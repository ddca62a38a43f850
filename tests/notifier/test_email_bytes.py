"""Notice mails built once per batch and spliced per subscriber, checked against the full build.

The fast path must be indistinguishable from building each message in full: the same bytes
where it applies, and the full build wherever a value or an encoding makes splicing unsafe.
Mails go through a real SMTP server (aiosmtpd) and are parsed with the `email` package.
"""

from __future__ import annotations

import email
import email.policy
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection

import actions
from incidents.models import ComponentStatus
from notifier import dispatch
from notifier.channels.email import EmailChannel
from notifier.channels.email_bytes import MailTemplate, fits
from notifier.models import Delivery, Expansion, Subscriber
from notifier.signed_links import matches_address, read_unsubscribe_token
from tests.factories import make_component, oslo

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

ADDRESSES = [
    "reader@example.com",
    "first.last+status_alerts-2013@mail.sub.example.org",
    "o'brien@example.ie",
    "x@y.no",
    "a" * 58 + "@example.com",  # the longest address spliced (70)
    "b" * 62 + "@example.com",  # built in full: its To: header folds
]


def publish(body: str = "Our email services are inaccessible; we're on it.") -> list[Delivery]:
    """Open an incident and write its deliveries as a worker's expansion does (unqueued)."""
    actions.open_incident(
        title="Email services down because of DDoS",
        body=body,
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    [mailing] = Expansion.objects.select_related("notice").filter(channel="email")
    EmailChannel().expand_page(mailing.notice, after=0, limit=100)
    return list(Delivery.objects.select_related("notice").order_by("id"))


def link_of(message: email.message.EmailMessage) -> str:
    return re.fullmatch(r"<(\S+)>", message["List-Unsubscribe"].strip()).group(1)


def test_a_spliced_mail_is_byte_for_byte_the_mail_built_in_full():
    for address in ADDRESSES:
        Subscriber.objects.create(email=address)
    deliveries = publish()
    channel = EmailChannel()
    channel.prepare(deliveries)
    assert channel._templates[deliveries[0].notice_id] is not None

    for delivery in deliveries:
        subscriber = Subscriber.objects.get(pk=int(delivery.target))
        sender, recipient, raw = channel.envelope(delivery, subscriber)
        date = email.message_from_bytes(raw)["Date"]
        full = channel.message(delivery, subscriber, date=date).message().as_bytes(linesep="\r\n")
        # The multipart boundary is random per build; the batch's mails share the template's.
        boundary = re.compile(rb'boundary="([^"]+)"')
        full = full.replace(boundary.search(full)[1], boundary.search(raw)[1])
        assert raw == full
        assert recipient == subscriber.email
        assert sender == "Runbox Status <status@localhost>"


def test_every_subscriber_gets_their_own_address_and_link_in_headers_and_both_bodies(inbox):
    for address in ADDRESSES:
        Subscriber.objects.create(email=address)
    dispatch.run([d.pk for d in publish()])

    assert sorted(m["To"] for m in inbox.messages) == sorted(ADDRESSES)
    links = set()
    for mail in inbox.messages:
        link = link_of(mail)
        links.add(link)
        subscriber_id, address_hash = read_unsubscribe_token(urlsplit(link).path.split("/")[2])
        subscriber = Subscriber.objects.get(pk=subscriber_id)
        assert subscriber.email == mail["To"]
        assert matches_address(address_hash, mail["To"])
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        assert re.search(rf"Manage or unsubscribe: {re.escape(link)}\s", text)
        assert f'<a href="{link}">Manage or unsubscribe</a>' in html
        assert "INVESTIGATING 00:15 CET: Our email services are inaccessible" in text
        for part in mail.walk():
            assert part["Content-Transfer-Encoding"] in (None, "7bit", "8bit")
    assert len(links) == len(ADDRESSES)


def test_an_address_with_an_international_domain_is_built_in_full_and_arrives(inbox):
    Subscriber.objects.create(email="reader@example.com")
    Subscriber.objects.create(email="leser@bücher.example")
    deliveries = publish()
    channel = EmailChannel()
    channel.prepare(deliveries)
    international = Subscriber.objects.get(email="leser@bücher.example")
    assert not fits(international.email, channel.unsubscribe_url(international))

    assert dispatch.run([d.pk for d in deliveries]).sent == 2
    [mail] = [m for m in inbox.messages if m["To"] != "reader@example.com"]
    assert mail["To"] == "leser@xn--bcher-kva.example"
    subscriber_id, _ = read_unsubscribe_token(urlsplit(link_of(mail)).path.split("/")[2])
    assert subscriber_id == international.pk


def test_a_body_that_needs_quoted_printable_is_not_spliced_and_still_arrives_whole(inbox):
    Subscriber.objects.create(email="reader@example.com")
    long_line = "Ærlig talt: " + "the storage cluster is rebuilding, " * 40  # > 998 bytes
    deliveries = publish(body=long_line)
    channel = EmailChannel()
    channel.prepare(deliveries)
    assert channel._templates[deliveries[0].notice_id] is None

    assert dispatch.run([d.pk for d in deliveries]).sent == 1
    [mail] = inbox.messages
    text = mail.get_body(("plain",)).get_content()
    assert long_line.strip() in text
    assert f"Manage or unsubscribe: {link_of(mail)}" in text


def test_the_template_refuses_a_placeholder_that_folding_cut_in_two():
    from email.mime.text import MIMEText

    def folded(address: str, url: str) -> tuple[MIMEText, bytes]:
        mime = MIMEText(f"link: {url[:20]}\n {url[20:]}\nand {url}\n", "plain", "us-ascii")
        mime["To"] = address
        mime["List-Unsubscribe"] = f"<{url}>"
        return mime, mime.as_bytes()

    def whole(address: str, url: str) -> tuple[MIMEText, bytes]:
        mime = MIMEText(f"link: {url}\nand {url}\n", "plain", "us-ascii")
        mime["To"] = address
        mime["List-Unsubscribe"] = f"<{url}>"
        return mime, mime.as_bytes()

    assert MailTemplate.build(folded) is None
    template = MailTemplate.build(whole)
    assert template is not None
    url = "https://status.example/unsubscribe/eyJpIjoxLCJoIjoiZDEwOGIyNzk0MzRmZTFkNSJ9:xi57wZ/"
    assert fits("a@example.com", url)
    assert template.render("a@example.com", url) == whole("a@example.com", url)[1]


@pytest.mark.django_db(transaction=True)  # autocommit, as in a worker
def test_on_postgresql_a_batch_records_outcomes_without_waiting_for_the_disk(inbox, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    Subscriber.objects.create(email="reader@example.com")
    deliveries = publish()
    seen: list[str] = []
    send = EmailChannel.send

    def watching(self: EmailChannel, delivery: Delivery, session: object) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])
        return send(self, delivery, session)

    monkeypatch.setattr(EmailChannel, "send", watching)
    with connection.cursor() as cursor:
        # The throwaway test server runs with it off; production's default is on.
        cursor.execute("SET synchronous_commit TO on")
    assert dispatch.run([d.pk for d in deliveries]).sent == 1

    assert seen == ["off"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # as before: the connection is reused


def test_the_envelope_goes_in_one_write_to_a_server_that_offers_pipelining(inbox, writes):
    import smtplib

    from notifier.channels import smtp_pipelining

    with smtplib.SMTP(settings_host(), settings_port(), timeout=5) as smtp:
        smtp_pipelining.sendmail(
            smtp, "status@example.com", "reader@example.com", b"Subject: x\r\n\r\n.dot\r\nend"
        )
        inbox.refuse.add("gone@example.com")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp_pipelining.sendmail(smtp, "status@example.com", "gone@example.com", b"\r\nx")
        smtp_pipelining.sendmail(smtp, "status@example.com", "next@example.com", b"\r\nnext")

    envelope = b"MAIL FROM:<status@example.com> SIZE=23\r\nRCPT TO:<reader@example.com>\r\nDATA\r\n"
    assert envelope in writes
    assert [m["To"] for m in inbox.messages] == [None, None]  # no headers but the subject
    [first, second] = inbox.messages
    assert first.get_content() == ".dot\r\nend\r\n"  # dot-stuffed on the wire, not in the mail
    assert second.get_content().strip() == "next"  # the refusal left the session usable
    assert inbox.commands[-1] == "RCPT next@example.com"


def test_without_pipelining_mail_goes_the_usual_way(inbox):
    inbox.pipelining = False
    Subscriber.objects.create(email="reader@example.com")
    inbox.refuse.add("gone@example.com")
    Subscriber.objects.create(email="gone@example.com")
    result = dispatch.run([d.pk for d in publish()])
    assert (result.sent, result.failed) == (1, 1)
    [mail] = inbox.messages
    assert mail["To"] == "reader@example.com"


def settings_host() -> str:
    from django.conf import settings

    return settings.EMAIL_HOST


def settings_port() -> int:
    from django.conf import settings

    return settings.EMAIL_PORT
