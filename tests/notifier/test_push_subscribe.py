"""Subscribing a browser to push and stopping it, through the page's posts; the worker; the keys."""

from __future__ import annotations

import base64
import os
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import reverse

from notifier import push_keys
from notifier.channels.contact import manage_url
from notifier.manage import add_contact
from notifier.models import ContactPoint, Subscriber
from notifier.push_keys import KEY_FILE_NAME, public_point, vapid_keys
from notifier.registry import channel_named
from notifier.signed_links import manage_token
from tests.factories import make_component
from tests.notifier.push_service import Browser
from tests.test_html_validity import skipped_heading_levels, validation_errors

pytestmark = pytest.mark.django_db

URL = "/subscribe/push/"
ENDPOINT = "https://updates.push.example.com/wpush/v2/gAAAAABk"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(autouse=True)
def vapid(settings) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_PUBLIC_KEY = ""
    settings.PUSH_ENABLED = True
    return key


@pytest.fixture
def browser() -> Browser:
    return Browser(endpoint=ENDPOINT)


def subscription(browser: Browser, **changes: str) -> dict[str, str]:
    return {"endpoint": browser.endpoint, "p256dh": browser.p256dh, "auth": browser.auth, **changes}


def test_the_page_offers_the_button_to_its_script_and_says_what_happens_without_it(client, vapid):
    make_component("IMAP", showcase=True)
    response = client.get(URL)
    page = response.content.decode()

    assert response.status_code == 200
    assert '<a href="./" aria-current="page">This browser</a>' in page
    assert f'data-key="{public_point(vapid)}"' in page
    assert 'data-worker="/push-worker.js"' in page
    assert '<button type="submit" hidden>Notify me in this browser</button>' in page
    assert "need JavaScript and a browser that supports push notifications" in page
    assert re.search(r'<script src="(\.\./)+static/notifier/push\.js" defer></script>', page)
    assert "<script>" not in page  # no inline script: the CSP would refuse it
    assert 'name="components"' in page


def test_a_browsers_subscription_is_kept_with_its_components_at_once(client, browser):
    imap = make_component("IMAP", showcase=True)

    response = client.post(URL, {**subscription(browser), "components": [imap.pk]})

    assert response.status_code == 200
    point = ContactPoint.objects.get(channel="push")
    assert (point.address, point.details) == (
        ENDPOINT,
        {"p256dh": browser.p256dh, "auth": browser.auth},
    )
    assert point.confirmed_at is not None
    assert list(point.subscriber.components.all()) == [imap]
    page = response.content.decode()
    assert "<h1>This browser will be notified</h1>" in page
    assert "about IMAP." in page
    assert f'href="{manage_url(point.subscriber)}"' in page
    assert "Stop notifying this browser" in page


def test_padded_keys_are_kept_in_their_plain_form(client, browser):
    padded = subscription(browser, p256dh=browser.p256dh + "=", auth=browser.auth + "==")
    assert client.post(URL, padded).status_code == 200
    assert ContactPoint.objects.get().details == {"p256dh": browser.p256dh, "auth": browser.auth}


def test_a_reader_adds_this_browser_from_their_own_page(client, browser):
    reader = Subscriber.objects.create(email="reader@example.com")
    token = manage_token(reader.pk, reader.key)

    page = client.get(URL, {"for": token}).content.decode()
    assert f'name="for" value="{token}"' in page
    assert "your own page</a> sets which services" in page
    assert 'name="components"' not in page

    response = client.post(URL, {**subscription(browser), "for": token})
    assert response.status_code == 200
    assert ContactPoint.objects.get().subscriber == reader
    assert Subscriber.objects.count() == 1


def test_a_broken_manage_token_is_a_link_problem_not_a_new_reader(client, browser):
    assert client.get(URL, {"for": "nonsense"}).status_code == 400
    response = client.post(URL, {**subscription(browser), "for": "nonsense"})
    assert response.status_code == 400
    assert not ContactPoint.objects.exists()


NOT_ON_CURVE = b64url(b"\x04" + b"\x01" * 64)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"endpoint": "http://updates.push.example.com/x"}, "its endpoint must be an https:// URL"),
        ({"endpoint": "https://10.0.0.8/wpush/x"}, "10.0.0.8 is a private address"),
        ({"endpoint": "https://[::1]/wpush/x"}, "::1 is a loopback address"),
        ({"endpoint": "https://a@push.example.com/x"}, "its endpoint has a user or a fragment"),
        ({"endpoint": "https://push.example.com/" + "x" * 500}, "a part of it is too long"),
        ({"endpoint": ""}, "a part of it is missing"),
        ({"p256dh": b64url(b"\x04" + b"\x01" * 30)}, "its p256dh key must be a P-256 public key"),
        ({"p256dh": NOT_ON_CURVE}, "its p256dh key must be a P-256 public key"),
        ({"p256dh": "not/base64+"}, "its p256dh key must be a P-256 public key"),
        ({"auth": b64url(os.urandom(15))}, "its auth secret must be 16 bytes"),
        ({"auth": "***"}, "its auth secret must be 16 bytes"),
        ({"auth": "é" * 22}, "its auth secret must be 16 bytes"),
        ({"components": "99999999999999999999999"}, "One of the chosen services does not exist"),
    ],
)
def test_a_post_that_is_no_browsers_subscription_is_a_400_saying_why(
    client, browser, changes, message
):
    response = client.post(URL, subscription(browser, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert not ContactPoint.objects.exists()


def test_subscribing_is_rate_limited_per_client_address(client, settings):
    settings.SUBSCRIBE_RATE_LIMIT = 1
    first = Browser(endpoint=ENDPOINT + "1")
    second = Browser(endpoint=ENDPOINT + "2")
    assert client.post(URL, subscription(first)).status_code == 200

    response = client.post(URL, subscription(second))

    assert response.status_code == 429
    assert response["Retry-After"]
    assert ContactPoint.objects.count() == 1
    other_client = Client(REMOTE_ADDR="198.51.100.20")
    assert other_client.post(URL, subscription(second)).status_code == 200


def stop(client: Client, endpoint: str, auth: str):
    return client.post(URL, {"action": "stop", "endpoint": endpoint, "auth": auth})


def test_the_browser_stops_its_notifications_with_its_endpoint_and_auth_secret(client, browser):
    client.post(URL, subscription(browser))

    response = stop(client, browser.endpoint, browser.auth)

    assert response.status_code == 200
    assert "This browser will no longer be notified" in response.content.decode()
    assert not ContactPoint.objects.exists()
    assert not Subscriber.objects.exists()


def test_stopping_keeps_a_reader_with_email_and_needs_the_right_secret(client, browser):
    reader = Subscriber.objects.create(email="reader@example.com")
    details = {"p256dh": browser.p256dh, "auth": browser.auth}
    add_contact("push", ENDPOINT, component_ids=[], details=details, subscriber=reader)

    # Someone who learnt the endpoint but not the secret: the same answer, nothing removed.
    wrong = stop(client, ENDPOINT, b64url(os.urandom(16)))
    assert wrong.status_code == 200
    assert ContactPoint.objects.exists()

    stop(client, ENDPOINT, browser.auth)
    assert not ContactPoint.objects.exists()
    assert Subscriber.objects.get() == reader


def test_a_stop_without_a_subscription_is_a_400(client):
    response = stop(client, "javascript:alert(1)", "x")
    assert response.status_code == 400
    assert "its endpoint must be an https:// URL" in response.content.decode()


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client):
    response = client.get(reverse("push_worker"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "public, max-age=300"
    body = response.content.decode()
    assert "showNotification" in body and "notificationclick" in body
    assert "renotify" in body
    assert client.post(reverse("push_worker")).status_code == 405


def test_with_push_off_the_page_is_not_there(client, settings):
    settings.PUSH_ENABLED = False
    assert client.get(URL).status_code == 404
    assert "This browser" not in client.get("/subscribe/").content.decode()


def test_without_settings_a_key_is_made_once_and_kept_private(settings, tmp_path):
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAR_DIR = tmp_path

    first = vapid_keys()
    kept = tmp_path / KEY_FILE_NAME

    assert kept.stat().st_mode & 0o777 == 0o600
    assert "BEGIN PRIVATE KEY" in kept.read_text()
    assert list(tmp_path.iterdir()) == [kept]
    push_keys._keys.cache_clear()  # as a new process would: it reads the kept key
    assert vapid_keys().public == first.public
    assert len(base64.urlsafe_b64decode(first.public + "=")) == 65


def test_a_pair_given_by_settings_wins_over_a_kept_one(settings, tmp_path, vapid):
    settings.VAR_DIR = tmp_path
    settings.VAPID_PUBLIC_KEY = public_point(vapid)
    assert vapid_keys().public == public_point(vapid)
    assert not (tmp_path / KEY_FILE_NAME).exists()


@pytest.mark.parametrize(
    ("private", "public", "said"),
    [
        ("", "BAAA", "VAPID_PUBLIC_KEY is set without VAPID_PRIVATE_KEY"),
        ("too-short", "", "VAPID_PRIVATE_KEY is neither a PEM private key"),
        (None, "B" + "A" * 86, "VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY"),
    ],
)
def test_wrong_key_settings_switch_push_off_and_say_why(settings, private, public, said):
    if private is not None:
        settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_PUBLIC_KEY = public
    channel = channel_named("push")
    assert not channel.is_configured()
    assert said in channel.why_off()


def test_every_page_of_the_way_is_valid_html(client, browser, tmp_path):
    make_component("IMAP", showcase=True)
    reader = Subscriber.objects.create(email="reader@example.com")
    pages = {
        "the page": client.get(URL).content.decode(),
        "from a reader's page": client.get(
            URL, {"for": manage_token(reader.pk, reader.key)}
        ).content.decode(),
        "a bad post": client.post(URL, subscription(browser, auth="x")).content.decode(),
        "subscribed": client.post(URL, subscription(browser)).content.decode(),
        "stopped": stop(client, browser.endpoint, browser.auth).content.decode(),
        "a bad stop": stop(client, "", "").content.decode(),
    }
    assert validation_errors(pages, tmp_path) == []
    assert {path: skipped_heading_levels(html) for path, html in pages.items()} == {
        path: [] for path in pages
    }


def test_a_key_that_cannot_be_kept_switches_push_off_and_says_why(settings, tmp_path):
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAR_DIR = tmp_path / "not-there"
    assert "none can be kept in" in channel_named("push").why_off()
