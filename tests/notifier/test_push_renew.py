"""A browser that replaced its push subscription tells us through the service worker.

The worker's `pushsubscriptionchange` handler (notifier/static/notifier/push-worker.js) cannot
be made to fire in headless Chromium, so these tests post what it posts: the old endpoint with
its auth secret as proof, and the new subscription.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.urls import reverse

from notifier.manage import add_contact
from notifier.models import ContactPoint, Subscriber
from tests.factories import make_component
from tests.notifier.push_service import Browser
from tests.notifier.test_push_subscribe import b64url, vapid

pytestmark = pytest.mark.django_db
__all__ = ["vapid"]  # the fixture, used by name

URL = "/subscribe/push/renew/"
OLD = "https://updates.push.example.com/wpush/v2/old"
NEW = "https://updates.push.example.com/wpush/v2/new"


def renewal(old: Browser, new: Browser, **changes: str) -> dict[str, str]:
    data = {
        "old_endpoint": old.endpoint,
        "old_auth": old.auth,
        "endpoint": new.endpoint,
        "p256dh": new.p256dh,
        "auth": new.auth,
    }
    return {**data, **changes}


@pytest.fixture
def subscribed() -> tuple[Browser, ContactPoint]:
    old = Browser(endpoint=OLD)
    reader = Subscriber.objects.create(email="reader@example.com")
    reader.components.set([make_component("IMAP")])
    details = {"p256dh": old.p256dh, "auth": old.auth}
    point = add_contact("push", OLD, component_ids=[], details=details, subscriber=reader)
    return old, point


def csrf_checking_client() -> Client:
    return Client(enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.40")


def test_the_new_subscription_replaces_the_old_keeping_reader_and_components(subscribed):
    old, point = subscribed
    new = Browser(endpoint=NEW)
    assert reverse("renew_push") == URL

    # A service worker has no form token: the old subscription's secret is the proof.
    answer = csrf_checking_client().post(URL, renewal(old, new))

    assert answer.status_code == 200
    moved = ContactPoint.objects.get()
    assert moved.pk == point.pk and moved.subscriber == point.subscriber
    assert (moved.address, moved.details) == (NEW, {"p256dh": new.p256dh, "auth": new.auth})
    assert [c.name for c in moved.subscriber.components.all()] == ["IMAP"]


def test_a_wrong_proof_gets_the_same_answer_and_changes_nothing(subscribed):
    old, point = subscribed
    new = Browser(endpoint=NEW)
    client = csrf_checking_client()
    right = client.post(URL, renewal(old, new, endpoint=NEW + "x"))
    ContactPoint.objects.filter(pk=point.pk).update(address=OLD)

    for wrong in (
        renewal(old, new, old_auth=b64url(os.urandom(16))),
        renewal(old, new, old_endpoint=OLD + "-unknown"),
    ):
        answer = client.post(URL, wrong)
        assert answer.status_code == 200 and answer.content == right.content
        assert ContactPoint.objects.get().address == OLD


def test_an_endpoint_another_browser_holds_is_not_taken(subscribed):
    old, point = subscribed
    other = Browser(endpoint=NEW)
    add_contact("push", NEW, component_ids=[], details={"p256dh": other.p256dh, "auth": other.auth})

    assert csrf_checking_client().post(URL, renewal(old, other)).status_code == 200

    assert ContactPoint.objects.get(pk=point.pk).address == OLD
    assert ContactPoint.objects.filter(address=NEW).exclude(pk=point.pk).exists()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"endpoint": "http://updates.push.example.com/x"}, b"must be an https:// URL"),
        ({"endpoint": "https://127.0.0.1/x"}, b"loopback address"),
        ({"p256dh": b64url(b"\x04" * 10)}, b"p256dh key must be a P-256 public key"),
        ({"auth": b64url(b"\x01" * 15)}, b"auth secret must be 16 bytes"),
        ({"old_auth": ""}, b"a part of it is missing"),
    ],
)
def test_a_post_that_is_no_subscription_is_a_400_saying_why(subscribed, change, said, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    old, _ = subscribed
    answer = csrf_checking_client().post(URL, renewal(old, Browser(endpoint=NEW), **change))
    assert answer.status_code == 400 and said in answer.content
    assert ContactPoint.objects.get().address == OLD


def test_renewing_is_rate_limited_per_client_address(subscribed, settings):
    settings.SUBSCRIBE_RATE_LIMIT = 2
    old, _ = subscribed
    client = csrf_checking_client()
    wrong = renewal(old, Browser(endpoint=NEW), old_auth=b64url(os.urandom(16)))
    assert [client.post(URL, wrong).status_code for _ in range(2)] == [200, 200]

    limited = client.post(URL, renewal(old, Browser(endpoint=NEW)))

    assert limited.status_code == 429 and limited["Retry-After"]
    assert ContactPoint.objects.get().address == OLD


def test_only_posts_and_only_while_push_is_offered(client, subscribed, settings):
    assert client.get(URL).status_code == 405
    settings.PUSH_ENABLED = False
    old, _ = subscribed
    assert client.post(URL, renewal(old, Browser(endpoint=NEW))).status_code == 404
