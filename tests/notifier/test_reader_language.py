"""Each reader hears in their own language: the page they subscribed from, or their choice."""

from __future__ import annotations

import pytest
from django.test import Client

from incidents.models import Component
from notifier.channels.email import EmailChannel
from notifier.manage import add_contact, token_of
from notifier.models import Subscriber
from tests.factories import make_component, oslo
from tests.notifier.test_email_notices import open_ddos

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


@pytest.fixture
def imap() -> Component:
    return make_component("IMAP")


def bodies(message) -> str:
    parts = [p.get_payload(decode=True).decode() for p in message.walk() if not p.is_multipart()]
    return "\n".join(parts).replace("\r\n", "\n")


def test_each_reader_gets_the_notice_in_their_language(
    inbox, eager_celery, imap, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(email="en@example.com")
    Subscriber.objects.create(email="nb@example.com", language="nb")
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(imap, at=oslo(2013, 1, 25, 0, 15))
    mails = {message["To"]: message for message in inbox.messages}
    english, norwegian = bodies(mails["en@example.com"]), bodies(mails["nb@example.com"])
    assert f"/incidents/{incident.pk}/" in english and "/nb/" not in english
    assert "Affects: IMAP" in english and "Fri 25 Jan 2013, 00:15 CET" in english
    assert f"/nb/incidents/{incident.pk}/" in norwegian
    assert "Berører: IMAP" in norwegian and "fre. 25. jan. 2013, 00:15 CET" in norwegian
    assert '<html lang="nb">' in norwegian and "Endre eller avslutt abonnementet" in norwegian
    assert "/nb/unsubscribe/" in mails["nb@example.com"]["List-Unsubscribe"]
    assert "/nb/" not in mails["en@example.com"]["List-Unsubscribe"]


def test_a_reader_who_subscribed_from_the_norwegian_page_reads_norwegian(settings) -> None:
    from django.utils import translation

    with translation.override("nb"):
        point = add_contact("sms", "+4791234567", component_ids=[])
    assert point.subscriber.language == "nb"
    with translation.override("en"):
        other = add_contact("sms", "+4791234568", component_ids=[])
    assert other.subscriber.language == "en"


def test_a_reader_chooses_the_language_on_their_own_page(imap) -> None:
    reader = Subscriber.objects.create(email="reader@example.com")
    page = f"/subscription/{token_of(reader)}/"
    client = Client()
    assert 'name="language" value="en" checked' in client.get(page).content.decode()
    chosen = client.post(page, {"action": "language", "language": "nb"})
    assert chosen.status_code == 303
    reader.refresh_from_db()
    assert reader.language == "nb"
    refused = client.post(page, {"action": "language", "language": "de"})
    assert refused.status_code == 400
    reader.refresh_from_db()
    assert reader.language == "nb"
    # The Norwegian page says so in Norwegian.
    done = client.get(f"/nb{page}?done=language").content.decode()
    assert "Lagret" in done


def test_the_email_channel_reads_the_language_with_the_address() -> None:
    Subscriber.objects.create(email="nb@example.com", language="nb")
    channel = EmailChannel()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifier.models import Delivery

    delivery = Delivery(channel="email", target=str(Subscriber.objects.get().pk))
    with CaptureQueriesContext(connection) as queries:
        channel._subscribers = Subscriber.objects.only("id", "email", "language").in_bulk()
        assert channel.language_of(delivery) == "nb"
    assert len(queries) == 1


def test_a_notice_carries_the_translation_staff_gave_and_marks_what_they_did_not(
    inbox, eager_celery, imap, django_capture_on_commit_callbacks
):
    import actions

    Subscriber.objects.create(email="nb@example.com", language="nb")
    actions.translate(imap, "nb", {"name": "IMAP (lese e-post)"})
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(imap, at=oslo(2013, 1, 25, 0, 15))
        # Before the workers send it: the Norwegian title, not yet the body.
        actions.translate(incident, "nb", {"title": "E-posttjenestene er nede på grunn av DDoS"})
    [mail] = inbox.messages
    assert mail["Subject"].strip() == "[Runbox Status] E-posttjenestene er nede på grunn av DDoS"
    text = bodies(mail)
    assert "Berører: IMAP (lese e-post)" in text
    assert "E-posttjenestene er nede på grunn av DDoS</a></h1>" in text
    assert (
        "Ikke oversatt ennå; vist slik det ble skrevet.</p>\n"
        '<div lang="en"><p>Our email services are inaccessible' in text
    )
