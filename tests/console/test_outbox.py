"""The default mail path: notices go over SMTP to the embedded server, which keeps them for the
console's Outbox page (notifier/outbox.py, `manage.py embedded_smtp`)."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

import actions
from incidents.models import ComponentStatus
from notifier import dispatch
from notifier.channels.email import EmailChannel
from notifier.models import Delivery, DeliveryState, Expansion, Subscriber
from notifier.outbox import KeepingHandler, caught_mail, caught_mails, threads
from tests.factories import make_component
from tests.servers.postgres import free_port

SETTINGS_PY = Path(__file__).resolve().parents[2] / "statuspage" / "settings.py"


@pytest.fixture
def embedded(settings, tmp_path) -> Iterator[Path]:
    """The embedded server as `manage.py embedded_smtp` runs it, with the default settings' mail."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()  # as VAR_DIR/outbox may be, from an earlier run
    port = free_port()
    controller = Controller(KeepingHandler(outbox), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMBEDDED_SMTP, settings.OUTBOX_DIR = True, outbox
    try:
        yield outbox
    finally:
        controller.stop()


def send_all() -> None:
    for expansion in Expansion.objects.select_related("notice").filter(channel="email"):
        EmailChannel().expand_page(expansion.notice, after=0, limit=100)
    expansion_free = list(Delivery.objects.filter(channel="email").values_list("pk", flat=True))
    dispatch.run(expansion_free)
    Expansion.objects.all().delete()


def test_the_default_settings_send_mail_over_smtp_to_the_embedded_server(monkeypatch, tmp_path):
    for name in ("EMAIL_URL", "EMBEDDED_SMTP_PORT", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    defaults = runpy.run_path(str(SETTINGS_PY))
    assert defaults["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (defaults["EMAIL_HOST"], defaults["EMAIL_PORT"]) == ("127.0.0.1", 8025)
    assert defaults["EMBEDDED_SMTP"] is True
    assert defaults["OUTBOX_DIR"] == tmp_path / "outbox"

    monkeypatch.setenv("PORT", "8310")
    assert runpy.run_path(str(SETTINGS_PY))["EMAIL_PORT"] == 8335  # beside the site's port
    monkeypatch.setenv("EMAIL_URL", "smtp://relay.example:587?starttls=true")
    relay = runpy.run_path(str(SETTINGS_PY))
    assert (relay["EMAIL_HOST"], relay["EMAIL_PORT"], relay["EMBEDDED_SMTP"]) == (
        "relay.example",
        587,
        False,
    )


@pytest.mark.django_db
def test_an_incident_s_notices_are_caught_whole_and_threaded(embedded):
    imap = make_component("IMAP")
    Subscriber.objects.create(email="reader@example.com")
    incident = actions.open_incident(
        title="IMAP logins fail",
        body="We are looking into failing IMAP logins for AT&T customers.",
        impact="major",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
    )
    send_all()
    actions.resolve_incident(incident, body="Logins work again.")
    send_all()

    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    mails = caught_mails(embedded)
    assert [m.to for m in mails] == ["reader@example.com"] * 2
    [thread] = threads(mails)
    assert [m.key for m in thread.mails] == [m.key for m in mails]
    assert thread.root == mails[0].message_id
    assert "IMAP logins fail" in thread.subject

    last = caught_mail(embedded, mails[-1].key)
    assert last is not None
    assert "Logins work again." in last.text
    assert "Logins work again." in last.html and "<html" in last.html.lower()
    assert dict(last.headers)["In-Reply-To"] == mails[0].message_id
    # Kept byte for byte as the server received it, under the delivery line a mailbox adds.
    raw = next((embedded / "new").iterdir()).read_bytes()
    assert raw.startswith(b"Delivered-To: reader@example.com\r\n")


@pytest.mark.django_db
def test_the_outbox_page_lists_threads_and_shows_both_parts(embedded, editor, signed_in):
    imap = make_component("IMAP")
    Subscriber.objects.create(email="reader@example.com")
    actions.open_incident(
        title="POP3 slow",
        body="Downloads <b>crawl</b>.",
        impact="minor",
        component_statuses={imap: ComponentStatus.DEGRADED_PERFORMANCE},
    )
    send_all()
    client = signed_in(editor)

    page = client.get("/staff/outbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "POP3 slow" in html and "reader@example.com" in html
    assert 'href="/staff/outbox/"' in client.get("/staff/").content.decode()  # in the menu

    [mail] = caught_mails(embedded)
    detail = client.get(f"/staff/outbox/{mail.key}/").content.decode()
    assert "Plain text part" in detail and "HTML part" in detail
    assert "<iframe" in detail and " sandbox " in detail  # the mail's HTML runs no script
    assert "&lt;b&gt;crawl" not in detail.split("<iframe")[0]  # text part shows real text
    assert client.get("/staff/outbox/no-such-mail/").status_code == 404
    assert client.get("/staff/outbox/..%2Fcur/").status_code == 404


@pytest.mark.django_db
def test_with_a_real_relay_there_is_no_outbox(settings, editor, signed_in):
    settings.EMBEDDED_SMTP = False
    client = signed_in(editor)
    assert client.get("/staff/outbox/").status_code == 404
    assert 'href="/staff/outbox/"' not in client.get("/staff/").content.decode()


@pytest.mark.django_db
def test_a_backend_that_is_not_smtp_fails_the_delivery_with_a_clear_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Subscriber.objects.create(email="reader@example.com")
    actions.open_incident(
        title="SMTP down",
        body="Outgoing mail waits.",
        impact="major",
        component_statuses={make_component("SMTP"): ComponentStatus.MAJOR_OUTAGE},
    )
    send_all()
    delivery = Delivery.objects.get(channel="email")
    assert delivery.state == DeliveryState.FAILED
    assert "not an SMTP connection" in delivery.last_error
