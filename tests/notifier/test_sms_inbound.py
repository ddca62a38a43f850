"""Replies to our SMS: STOP (and STOPP, UNSUBSCRIBE, ...) at Twilio's or 46elks' webhook."""

from __future__ import annotations

import base64
import hmac

import pytest
from django.test import Client

from notifier.manage import add_contact
from notifier.models import ContactPoint, Subscriber
from notifier.sms.twilio import signature
from tests.notifier.sms_provider import INBOUND_SECRET, TWILIO_TOKEN

pytestmark = [pytest.mark.django_db]

NUMBER = "+4791234567"
TWILIO_PATH = "/sms/inbound/twilio/"
# What Twilio is told to call: the public address, SITE_URL in the tests.
TWILIO_URL = "http://127.0.0.1:8000" + TWILIO_PATH


@pytest.fixture(autouse=True)
def twilio_account(settings):
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SMS_INBOUND_SECRET = INBOUND_SECRET


def twilio_signature(url: str, params: dict[str, str], token: str) -> str:
    """As Twilio documents it: the URL, then each POST parameter's name and value sorted by
    name, HMAC-SHA1 with the auth token, base64."""
    text = url
    for name in sorted(params):
        text += name + params[name]
    return base64.b64encode(hmac.new(token.encode(), text.encode(), "sha1").digest()).decode()


def inbound(body: str, sender: str = NUMBER) -> dict[str, str]:
    return {
        "ToCountry": "NO",
        "SmsMessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "NumMedia": "0",
        "From": sender,
        "To": "+4759440000",
        "Body": body,
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "ApiVersion": "2010-04-01",
    }


def post_twilio(client: Client, params: dict[str, str], signature: str):
    return client.post(TWILIO_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.mark.parametrize("body", ["STOP", "stop", "Stopp", "STOPP takk", "unsubscribe", "End."])
def test_a_signed_stop_at_twilio_forgets_the_number(client: Client, body: str):
    add_contact("sms", NUMBER, component_ids=[])
    params = inbound(body)
    answer = post_twilio(client, params, twilio_signature(TWILIO_URL, params, TWILIO_TOKEN))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/xml"
    assert answer.content == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert not ContactPoint.objects.exists() and not Subscriber.objects.exists()


def test_a_wrong_or_missing_signature_is_refused_and_changes_nothing(client: Client):
    add_contact("sms", NUMBER, component_ids=[])
    params = inbound("STOP")
    wrong_token = twilio_signature(TWILIO_URL, params, "not-the-token")
    other_url = twilio_signature("https://elsewhere.example/", params, TWILIO_TOKEN)
    changed = twilio_signature(TWILIO_URL, {**params, "Body": "Hello"}, TWILIO_TOKEN)
    for given in (wrong_token, other_url, changed, ""):
        assert post_twilio(client, params, given).status_code == 403
    assert ContactPoint.objects.count() == 1


def test_other_words_and_unknown_numbers_change_nothing(client: Client):
    add_contact("sms", NUMBER, component_ids=[])
    for params in (inbound("Please stop the outage"), inbound("STOP", sender="+4791234568")):
        signature = twilio_signature(TWILIO_URL, params, TWILIO_TOKEN)
        assert post_twilio(client, params, signature).status_code == 200
    assert ContactPoint.objects.count() == 1


def test_a_stop_at_46elks_with_the_secret_forgets_the_number(client: Client):
    reader = Subscriber.objects.create(email="reader@example.com")
    add_contact("sms", NUMBER, component_ids=[], subscriber=reader)
    form = {
        "direction": "incoming",
        "id": "sf8425555e5d8db61dda7a7b3f1b91bdb",
        "from": NUMBER,
        "to": "+46766862078",
        "created": "2026-12-06 08:00:00.000000",
        "message": "STOPP",
    }
    wrong = client.post("/sms/inbound/46elks/not-the-secret/", form)
    assert wrong.status_code == 403
    assert ContactPoint.objects.count() == 1

    answer = client.post(f"/sms/inbound/46elks/{INBOUND_SECRET}/", form)

    # Any text in the answer would be sent back to the reader as a reply.
    assert (answer.status_code, answer.content) == (200, b"")
    assert not ContactPoint.objects.exists()
    assert Subscriber.objects.get() == reader  # their email subscription stands


def test_without_a_secret_46elks_inbound_is_refused(client: Client, settings):
    settings.SMS_INBOUND_SECRET = ""
    add_contact("sms", NUMBER, component_ids=[])
    form = {"from": NUMBER, "message": "STOP"}
    assert client.post("/sms/inbound/46elks//", form).status_code == 404
    assert client.post("/sms/inbound/46elks/x/", form).status_code == 403
    assert ContactPoint.objects.count() == 1


def test_the_inbound_webhooks_take_only_posts(client: Client):
    assert client.get(TWILIO_PATH).status_code == 405
    assert client.get(f"/sms/inbound/46elks/{INBOUND_SECRET}/").status_code == 405


def test_the_signature_algorithm_matches_twilios_documented_example():
    # Twilio's security docs (and twilio-python's tests): this URL, these parameters and token
    # give this signature.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    token = "12345"
    expected = twilio_signature(url, params, token)
    assert expected == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signature(url, {k: [v] for k, v in params.items()}, token) == expected
