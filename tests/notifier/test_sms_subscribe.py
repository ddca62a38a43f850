"""Subscribing by SMS as a reader does it: a number, a code by SMS, the code, subscribed."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from notifier.channels.contact import manage_url
from notifier.manage import add_contact
from notifier.models import ContactPoint, Subscriber
from notifier.signed_links import manage_token
from notifier.sms.codes import CODE_MAX_AGE
from notifier.sms_views import heard
from tests.factories import make_component
from tests.notifier.sms_provider import (
    TWILIO_FROM,
    TWILIO_SID,
    Provider,
    provider,
    twilio,
    twilio_error,
)

pytestmark = [pytest.mark.django_db]
__all__ = ["provider", "twilio"]  # fixtures, used by name

ADDRESS = "192.0.2.7"
NUMBER = "+4791234567"
URL = "/subscribe/sms/"


def ask(client: Client, number: str, *components: int, **extra: str):
    data = {"number": number, "components": list(components), **extra}
    return client.post(URL, data, REMOTE_ADDR=ADDRESS)


def pending_of(page) -> str:
    match = re.search(rb'name="pending" value="([^"]+)"', page.content)
    assert match, page.content
    return match.group(1).decode()


def code_sent(provider: Provider) -> str:
    match = re.fullmatch(r"Your code for Runbox Status: (\d{6})", provider.delivered[-1][1])
    assert match
    return match.group(1)


def enter(client: Client, pending: str, code: str):
    return client.post(URL, {"pending": pending, "code": code}, REMOTE_ADDR=ADDRESS)


def test_a_number_gets_a_code_and_the_right_code_subscribes_it(client: Client, twilio: Provider):
    imap = make_component("IMAP")
    page = client.get(URL)
    assert page.status_code == 200
    assert b'<input type="tel" name="number"' in page.content
    assert b'aria-current="page">SMS</a>' in page.content

    asked = ask(client, "912 34 567", imap.pk)

    assert asked.status_code == 200
    assert b"We have sent a six-digit code to <strong>+4791234567</strong>" in asked.content
    (request,) = twilio.received
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    code = code_sent(twilio)
    assert request.form == {
        "To": [NUMBER],
        "From": [TWILIO_FROM],
        "Body": [f"Your code for Runbox Status: {code}"],
    }
    assert not ContactPoint.objects.exists() and not Subscriber.objects.exists()
    # The page carries the request, not the code.
    assert code.encode() not in asked.content

    done = enter(client, pending_of(asked), code)

    assert done.status_code == 200
    point = ContactPoint.objects.get()
    assert (point.channel, point.address) == ("sms", NUMBER)
    assert list(point.subscriber.components.all()) == [imap]
    assert manage_url(point.subscriber).encode() in done.content
    assert b"for IMAP" in done.content


def test_a_wrong_code_is_refused_and_the_sixth_try_is_refused_even_if_right(
    client: Client, twilio: Provider
):
    asked = ask(client, NUMBER)
    pending, code = pending_of(asked), code_sent(twilio)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = enter(client, pending, wrong)
        assert refused.status_code == 400
        assert b"That code is not the one we sent" in refused.content
        assert b'aria-describedby="code-error"' in refused.content
    sixth = enter(client, pending, code)
    assert sixth.status_code == 400
    assert b"Too many wrong codes" in sixth.content
    assert not ContactPoint.objects.exists()


def test_a_code_that_is_not_six_digits_is_a_form_error_and_costs_no_try(
    client: Client, twilio: Provider
):
    asked = ask(client, NUMBER)
    pending = pending_of(asked)
    for _ in range(6):
        assert b"The code is six digits" in enter(client, pending, "12ab").content
    assert enter(client, pending, code_sent(twilio)).status_code == 200


def test_an_expired_or_tampered_request_is_refused(client: Client, twilio: Provider, monkeypatch):
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - CODE_MAX_AGE - 1)
    asked = ask(client, NUMBER)
    monkeypatch.setattr(signing.time, "time", real_time)
    expired = enter(client, pending_of(asked), code_sent(twilio))
    assert expired.status_code == 400
    assert b"This code has expired. Please ask for a new one." in expired.content
    tampered = enter(client, pending_of(ask(client, NUMBER))[:-2] + "xx", code_sent(twilio))
    assert tampered.status_code == 400 and b"not valid" in tampered.content
    assert not ContactPoint.objects.exists()


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", b"Enter the mobile number"),
        ("call me", b"does not look like a phone number"),
        ("+47 1234", b"That number does not exist"),
        ("22 12 34 56", b"That is not a mobile number"),
    ],
)
def test_numbers_we_cannot_text_are_form_errors(
    client: Client, twilio: Provider, number: str, message: bytes
):
    page = ask(client, number)
    assert page.status_code == 400
    assert message in page.content
    assert b'aria-describedby="number-error"' in page.content
    assert twilio.received == []


def test_codes_are_rate_limited_per_client_and_per_number(
    client: Client, twilio: Provider, settings
):
    settings.SUBSCRIBE_RATE_LIMIT = 2
    assert ask(client, NUMBER).status_code == 200
    assert ask(client, "+4791234568").status_code == 200
    by_client = ask(client, "+4791234569")
    assert by_client.status_code == 429
    assert b"This connection has asked for too many codes" in by_client.content
    settings.SUBSCRIBE_RATE_LIMIT = 100
    others = [f"198.51.100.{n}" for n in range(3)]
    for address in others[:2]:
        client.post(URL, {"number": NUMBER}, REMOTE_ADDR=address)
    by_number = client.post(URL, {"number": NUMBER}, REMOTE_ADDR=others[2])
    assert by_number.status_code == 429
    assert b"This number has been sent too many codes" in by_number.content
    assert int(by_number["Retry-After"]) > 3000
    assert len(twilio.texts_to(NUMBER)) == 3


def test_a_number_the_provider_refuses_is_said_on_the_form(client: Client, twilio: Provider):
    twilio.answers = [twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")]
    page = ask(client, NUMBER)
    assert page.status_code == 400
    assert b"This number has replied STOP to our messages" in page.content
    twilio.answers = [twilio_error(503, 20500, "Service unavailable")]
    page = ask(client, NUMBER)
    assert page.status_code == 503
    assert b"We could not send an SMS to that number just now" in page.content


def test_from_the_readers_page_the_number_joins_that_reader(client: Client, twilio: Provider):
    reader = Subscriber.objects.create(email="reader@example.com")
    token = manage_token(reader.pk, reader.key)
    page = client.get(URL, {"for": token})
    assert f'name="for" value="{token}"'.encode() in page.content
    assert b"<fieldset>" not in page.content

    asked = ask(client, NUMBER, **{"for": token})
    again = f'href="./?for={quote(token)}">Ask for a new code'  # links are relative
    assert again.encode() in asked.content
    done = enter(client, pending_of(asked), code_sent(twilio))

    assert done.status_code == 200
    assert ContactPoint.objects.get().subscriber == reader
    assert client.get(URL, {"for": token + "x"}).status_code == 400


def test_confirming_a_known_number_again_keeps_one_contact(client: Client, twilio: Provider):
    add_contact("sms", NUMBER, component_ids=[])
    done = enter(client, pending_of(ask(client, NUMBER)), code_sent(twilio))
    assert done.status_code == 200
    assert ContactPoint.objects.count() == 1 and Subscriber.objects.count() == 1


def test_a_right_code_subscribes_once_and_is_then_refused(client: Client, twilio: Provider):
    pending, code = pending_of(ask(client, NUMBER)), code_sent(twilio)
    assert enter(client, pending, code).status_code == 200
    ContactPoint.objects.all().delete()

    again = enter(client, pending, code)

    assert again.status_code == 400
    assert b"This code has already been used" in again.content
    assert not ContactPoint.objects.exists()


def test_a_stop_withdraws_a_code_sent_before_it(client: Client, twilio: Provider):
    pending, code = pending_of(ask(client, NUMBER)), code_sent(twilio)
    assert enter(client, pending, code).status_code == 200

    assert heard(NUMBER, "STOP")
    assert not ContactPoint.objects.exists()
    again = enter(client, pending, code)

    assert again.status_code == 400
    assert b"This number replied STOP after this code was sent" in again.content
    assert not ContactPoint.objects.exists()


def test_a_stop_withdraws_an_unanswered_code_too(client: Client, twilio: Provider):
    pending, code = pending_of(ask(client, NUMBER)), code_sent(twilio)
    assert not heard(NUMBER, "Stop.")  # nothing to forget yet, but the request goes

    refused = enter(client, pending, code)

    assert refused.status_code == 400
    assert b"replied STOP" in refused.content
    assert not ContactPoint.objects.exists()


def test_the_email_page_offers_sms_only_while_a_provider_is_set(
    client: Client, twilio: Provider, settings
):
    assert b'<a href="sms/">SMS</a>' in client.get(reverse("subscribe")).content
    settings.SMS_PROVIDER = ""
    assert client.get(reverse("subscribe_sms")).status_code == 404
    assert b">SMS</a>" not in client.get(reverse("subscribe")).content


def test_the_sms_pages_are_valid_html(client: Client, twilio: Provider, settings, tmp_path):
    from tests.test_html_validity import validation_errors

    settings.SUBSCRIBE_RATE_LIMIT = 1
    make_component("IMAP")
    asked = ask(client, NUMBER)
    pages = {
        "number": client.get(URL).content.decode(),
        "number error": ask(client, "22 12 34 56").content.decode(),
        "code": asked.content.decode(),
        "code error": enter(client, pending_of(asked), "000000x").content.decode(),
        "done": enter(client, pending_of(asked), code_sent(twilio)).content.decode(),
        "limited": ask(client, "+4791234568").content.decode(),
    }
    assert "<h1>Too many requests</h1>" in pages["limited"]
    assert validation_errors(pages, tmp_path) == []
