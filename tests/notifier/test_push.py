"""Notices reach browsers by web push: a fake push service decrypts and checks every message."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch
from notifier.channels.contact import manage_url
from notifier.channels.push import PAYLOAD_BYTES, PushChannel
from notifier.manage import add_contact
from notifier.models import ContactPoint, Delivery, DeliveryState, Notice, Subscriber
from notifier.push_keys import public_point
from notifier.registry import channel_named, subscribe_ways
from tests.factories import make_component, oslo
from tests.notifier.push_service import (
    PRIVATE_NAME,
    Browser,
    PushService,
    push_certs,
    push_service,
)

pytestmark = [pytest.mark.django_db]
__all__ = ["push_certs", "push_service"]  # fixtures, used by name

SUBJECT = "mailto:ops@example.com"


@pytest.fixture(autouse=True)
def vapid(settings) -> ec.EllipticCurvePrivateKey:
    """Our signing key, given as `web-push generate-vapid-keys` prints one."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    settings.VAPID_PRIVATE_KEY = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    settings.VAPID_PUBLIC_KEY = ""
    settings.VAPID_SUBJECT = SUBJECT
    settings.PUSH_ENABLED = True
    return key


def subscribed(browser: Browser, *components: int) -> ContactPoint:
    details = {"p256dh": browser.p256dh, "auth": browser.auth}
    return add_contact("push", browser.endpoint, component_ids=components, details=details)


def open_ddos(**components: str) -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible.\n\nWe are working to find out *where*.",
        impact="critical",
        component_statuses={
            make_component(name): status
            for name, status in (components or {"IMAP": "major_outage"}).items()
        },
        posted_at=oslo(2013, 1, 25, 0, 15),
    )


def push_delivery(notice: Notice, point: ContactPoint) -> Delivery:
    return Delivery.objects.get(notice=notice, channel="push", target=str(point.pk))


def test_an_incident_reaches_each_browser_encrypted_signed_and_threaded(
    push_service: PushService, vapid, eager_celery, django_capture_on_commit_callbacks
):
    everything = subscribed(push_service.subscribe())
    webmail_only = subscribed(push_service.subscribe(), make_component("Webmail").pk)

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(IMAP=ComponentStatus.MAJOR_OUTAGE)
    with django_capture_on_commit_callbacks(execute=True):
        actions.post_incident_update(
            incident,
            status=IncidentStatus.IDENTIFIED,
            body="The attackers changed tactics; we are filtering.",
            posted_at=oslo(2013, 1, 25, 1, 45),
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_incident(
            incident, body="Mail flows again.", posted_at=oslo(2013, 1, 25, 3, 0)
        )

    pushes = push_service.received
    assert [p.problem for p in pushes] == ["", "", ""]
    assert {p.path for p in pushes} == {everything.address.split(str(push_service.port))[1]}
    link = f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    own_page = manage_url(everything.subscriber)
    tag = f"incident-{incident.pk}"
    assert [p.payload for p in pushes] == [
        {
            "title": "Email services down because of DDoS",
            "body": "Investigating (Fri 25 Jan 2013, 00:15 CET)\n"
            "Our email services are inaccessible.\nWe are working to find out where.",
            "url": link,
            "tag": tag,
            "manage": own_page,
        },
        {
            "title": "Email services down because of DDoS",
            "body": "Identified (Fri 25 Jan 2013, 01:45 CET)\n"
            "The attackers changed tactics; we are filtering.",
            "url": link,
            "tag": tag,
            "manage": own_page,
        },
        {
            "title": "Email services down because of DDoS",
            "body": "Resolved (Fri 25 Jan 2013, 03:00 CET)\nMail flows again.",
            "url": link,
            "tag": tag,
            "manage": own_page,
        },
    ]
    assert [p.headers["Urgency"] for p in pushes] == ["high", "normal", "high"]
    for push in pushes:
        assert push.headers["TTL"] == "86400"
        assert push.headers["Topic"] == tag
        assert push.headers["Content-Encoding"] == "aes128gcm"
        assert push.claims is not None
        assert push.claims["aud"] == push_service.origin
        assert push.claims["sub"] == SUBJECT
        assert push.vapid_key == public_point(vapid)
    references = list(
        Delivery.objects.filter(channel="push").order_by("id").values_list("state", "reference")
    )
    assert references == [("sent", f"{push_service.origin}/m/{n}") for n in (1, 2, 3)]
    assert not Delivery.objects.filter(target=str(webmail_only.pk)).exists()


def test_a_failing_push_service_is_tried_again_and_the_browser_gets_one_message(
    push_service, eager_celery, django_capture_on_commit_callbacks
):
    browser = push_service.subscribe()
    point = subscribed(browser)
    path = browser.endpoint.split(str(push_service.port))[1]
    push_service.answers[path] = [(503, {})]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    delivery = push_delivery(Notice.objects.get(incident=incident), point)
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert len(push_service.received) == 2
    assert len(push_service.delivered()) == 1


def test_a_rate_limit_waits_as_long_as_the_push_service_says_then_sends_once(
    push_service, settings
):
    settings.DELIVERY_RETRY_BASE_SECONDS = 1
    browser = push_service.subscribe()
    point = subscribed(browser)
    push_service.answers[browser.endpoint.split(str(push_service.port))[1]] = [
        (429, {"Retry-After": "42"})
    ]
    delivery = push_delivery(Notice.objects.get(incident=open_ddos()), point)

    result = dispatch.run([delivery.pk])

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRYING
    assert result.retry_in == pytest.approx(42, abs=0.5)
    assert delivery.last_error.startswith("The push service is rate limiting (429")
    dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert len(push_service.delivered()) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_forgotten_with_its_reader(push_service, status):
    browser = push_service.subscribe()
    point = subscribed(browser)
    other = subscribed(push_service.subscribe())
    push_service.answers[browser.endpoint.split(str(push_service.port))[1]] = [(status, {})]
    notice = Notice.objects.get(incident=open_ddos())

    dispatch.run([push_delivery(notice, point).pk])

    delivery = Delivery.objects.get(notice=notice, target=str(point.pk))
    assert delivery.state == DeliveryState.FAILED
    assert "expired or was revoked" in delivery.last_error
    assert not ContactPoint.objects.filter(pk=point.pk).exists()
    assert list(Subscriber.objects.all()) == [other.subscriber]


def test_a_message_the_push_service_finds_too_large_fails_for_good(push_service):
    browser = push_service.subscribe()
    point = subscribed(browser)
    push_service.answers[browser.endpoint.split(str(push_service.port))[1]] = [(413, {})]
    notice = Notice.objects.get(incident=open_ddos())

    dispatch.run([push_delivery(notice, point).pk])

    delivery = push_delivery(notice, point)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error.startswith("The push service found the message too large (413")
    assert ContactPoint.objects.filter(pk=point.pk).exists()


def test_an_endpoint_whose_name_resolves_to_a_private_address_is_never_posted_to(push_service):
    point = subscribed(push_service.subscribe(name=PRIVATE_NAME))
    notice = Notice.objects.get(incident=open_ddos())

    dispatch.run([push_delivery(notice, point).pk])

    delivery = push_delivery(notice, point)
    assert delivery.state == DeliveryState.FAILED
    assert "private address" in delivery.last_error
    assert push_service.received == []


def test_a_long_update_is_cut_so_the_message_fits_a_push(push_service):
    point = subscribed(push_service.subscribe())
    incident = open_ddos()
    update = actions.post_incident_update(
        incident, status=IncidentStatus.MONITORING, body="Å" * 5000 + "\n" + "ø" * 5000
    )
    dispatch.run([push_delivery(Notice.objects.filter(incident=incident).earliest("id"), point).pk])

    dispatch.run([push_delivery(Notice.objects.get(incident_update=update), point).pk])

    [_, push] = push_service.delivered()
    assert push.payload is not None
    assert len(json.dumps(push.payload, ensure_ascii=False).encode()) <= PAYLOAD_BYTES
    assert push.payload["body"].startswith("Monitoring (")
    assert push.payload["body"].endswith("…")


def test_switched_off_push_is_no_way_to_subscribe_and_gets_no_deliveries(push_service, settings):
    subscribed(push_service.subscribe())
    settings.PUSH_ENABLED = False

    open_ddos()

    assert not Delivery.objects.filter(channel="push").exists()
    assert "push" not in [way.name for way in subscribe_ways()]
    assert channel_named("push").why_off() == "Set PUSH_ENABLED=true in the environment."


def test_the_preview_shows_what_the_notification_says():
    incident = open_ddos()
    preview = PushChannel().preview(Notice.objects.get(incident=incident))
    assert preview.splitlines() == [
        "Email services down because of DDoS",
        "Investigating (Fri 25 Jan 2013, 00:15 CET)",
        "Our email services are inaccessible.",
        "We are working to find out where.",
        f"http://127.0.0.1:8000/incidents/{incident.pk}/",
    ]


def test_an_update_waits_while_the_one_before_it_is_unsent_so_its_topic_is_never_overtaken(
    push_service,
):
    point = subscribed(push_service.subscribe())
    incident = open_ddos()
    update = actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body="Found.")
    first = push_delivery(Notice.objects.filter(incident=incident).earliest("id"), point)
    later = push_delivery(Notice.objects.get(incident_update=update), point)

    result = dispatch.run([later.pk])

    later.refresh_from_db()
    assert result.retry_in is not None
    assert (later.state, later.last_error) == (
        DeliveryState.RETRYING,
        "Waiting for the previous post in the thread.",
    )
    assert push_service.received == []
    dispatch.run([first.pk])
    Delivery.objects.filter(pk=later.pk).update(state=DeliveryState.PENDING)
    dispatch.run([later.pk])
    assert [p.payload["body"].split(" (")[0] for p in push_service.delivered()] == [
        "Investigating",
        "Identified",
    ]
