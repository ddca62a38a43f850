"""Webhooks: a real HTTP server on loopback gets the signed POSTs, verified as a consumer would."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import mail

import actions
from incidents.api.serializers import ComponentTree, page_id
from incidents.api.serializers import incident as serialize_incident
from incidents.models import Component, ComponentStatus, Incident, IncidentStatus
from notifier import dispatch
from notifier.models import Delivery, DeliveryState, Notice, WebhookEndpoint
from notifier.registry import channel_named
from tests.factories import make_component, oslo, publish_post, schedule_maintenance, utc
from tests.notifier.expanding import write_deliveries
from tests.notifier.loopback import FakeHandler, serving

pytestmark = [pytest.mark.django_db]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    raw_headers: Any = None  # as the server read them: .get() ignores case, like frameworks

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server was sent; `answers` are the status codes to give, in order, then 200."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(FakeHandler):
        def do_POST(self) -> None:
            state.received.append(
                Received(self.path, dict(self.headers), self.body(), self.headers)
            )
            time.sleep(state.delay)
            code = state.answers.pop(0) if state.answers else 200
            moved = {"Location": f"{state.url}moved"} if 300 <= code < 400 else {}
            answer = json.dumps({"id": f"rcpt-{len(state.received)}"}).encode()
            self.reply(code, answer, {**moved, "Content-Type": "application/json"})

    with serving(Handler) as port:
        state.url = f"http://127.0.0.1:{port}/hooks/"
        yield state


@pytest.fixture(autouse=True)
def only_webhooks(settings):
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return settings


@pytest.fixture
def imap() -> Component:
    return make_component("IMAP")


def endpoint_for(receiver: Receiver, *components: Component, **fields) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        url=receiver.url, contact_email="ops@example.com", **fields
    )
    endpoint.components.set(components)
    return endpoint


def verify(secret: str, received: Received, tolerance: int = 300) -> bool:
    """What a consumer does: recompute the HMAC over "<timestamp>.<raw body>", refuse old ones."""
    timestamp = received.headers["X-Statuspage-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", received.headers["X-Statuspage-Signature"])


def open_ddos(imap: Component, **kwargs) -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are **inaccessible**.",
        impact="critical",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
        **kwargs,
    )


def api_incident(incident: Incident) -> dict:
    return json.loads(json.dumps(serialize_incident(incident, ComponentTree.load())))


def webhook_delivery(notice: Notice) -> Delivery:
    return Delivery.objects.get(notice=notice, channel="webhook")


def fresh(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.get(pk=endpoint.pk)


# Statuspage's incident fields with no counterpart here, at Statuspage's values when unused.
STATUSPAGE_UNUSED = {
    "backfilled": False,
    "impact_override": None,
    "postmortem_body": None,
    "postmortem_body_last_updated_at": None,
    "postmortem_ignored": False,
    "postmortem_notified_subscribers": False,
    "postmortem_notified_twitter": False,
    "postmortem_published_at": None,
    "scheduled_auto_transition": False,
    "scheduled_remind_prior": False,
    "scheduled_reminded_at": None,
}


def test_the_endpoint_gets_a_signed_statuspage_incident_body(
    receiver, imap, eager_celery, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(imap)

    [received] = receiver.received
    delivery = webhook_delivery(Notice.objects.get(incident=incident))
    assert received.path == "/hooks/"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"] == "Runbox Status webhooks (http://127.0.0.1:8000)"
    assert received.headers["X-Statuspage-Event"] == "incident.opened"
    assert received.headers["X-Statuspage-Delivery"] == str(delivery.pk)
    assert verify(endpoint.secret, received)
    assert not verify("another secret", received)

    body = received.json
    assert set(body) == {"meta", "page", "incident"}
    assert set(body["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    assert body["page"] == {
        "id": page_id(),
        "status_indicator": "critical",
        "status_description": "Major System Outage",  # Statuspage's words
    }
    sent = body["incident"]
    assert {
        "id", "name", "status", "impact", "created_at", "updated_at", "started_at",
        "monitoring_at", "resolved_at", "shortlink", "scheduled_for", "scheduled_until",
        "page_id", "components", "incident_updates", *STATUSPAGE_UNUSED,
    } == set(sent)  # fmt: skip
    # The same ids and times as the public API gives for this incident.
    assert sent == {
        **api_incident(incident),
        "scheduled_for": None,
        "scheduled_until": None,
        **STATUSPAGE_UNUSED,
    }
    assert sent["id"] == f"i{incident.pk}"
    assert (sent["name"], sent["status"], sent["impact"]) == (
        "Email services down because of DDoS",
        "investigating",
        "critical",
    )
    assert sent["created_at"] == "2013-01-25T00:15:00.000+01:00"
    assert sent["shortlink"] == f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    assert [(c["id"], c["name"], c["status"]) for c in sent["components"]] == [
        (f"c{imap.pk}", "IMAP", "major_outage")
    ]
    [update] = sent["incident_updates"]
    assert set(update) == {
        "id", "incident_id", "status", "body", "created_at", "updated_at", "display_at",
        "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
    }  # fmt: skip
    assert update["incident_id"] == sent["id"]
    assert update["body"] == "Our email services are **inaccessible**."
    assert update["display_at"] == "2013-01-25T00:15:00.000+01:00"
    assert update["affected_components"] == [
        {
            "code": f"c{imap.pk}",
            "name": "IMAP",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    assert delivery.state == DeliveryState.SENT
    assert delivery.reference == "200 rcpt-1"


def test_maintenance_goes_as_an_incident_as_it_was_when_each_notice_was_published(receiver, imap):
    endpoint_for(receiver)
    start, end = utc(2040, 1, 12, 5, 30), utc(2040, 1, 12, 7, 30)
    work = schedule_maintenance(start=start, end=end, components=[imap], at=utc(2040, 1, 1))
    actions.cancel_maintenance(work, body="Not needed after all.", posted_at=utc(2040, 1, 2))
    write_deliveries()

    for notice in Notice.objects.filter(maintenance=work).order_by("id"):
        dispatch.run([webhook_delivery(notice).pk])  # both sent after the cancellation

    scheduled, cancelled = receiver.received
    assert scheduled.headers["X-Statuspage-Event"] == "maintenance.scheduled"
    assert cancelled.headers["X-Statuspage-Event"] == "maintenance.cancelled"
    first, last = scheduled.json["incident"], cancelled.json["incident"]
    assert first["id"] == last["id"] == f"m{work.pk}"
    assert (first["impact"], first["status"], first["resolved_at"]) == (
        "maintenance",
        "scheduled",
        None,
    )
    assert (first["scheduled_for"], first["scheduled_until"]) == (
        "2040-01-12T06:30:00.000+01:00",
        "2040-01-12T08:30:00.000+01:00",
    )
    assert [u["status"] for u in first["incident_updates"]] == ["scheduled"]
    assert first["incident_updates"][0]["body"] == "We are upgrading the mail database."
    assert (last["status"], last["resolved_at"]) == ("completed", "2040-01-02T01:00:00.000+01:00")
    assert [u["status"] for u in last["incident_updates"]] == ["completed", "scheduled"]
    assert last["incident_updates"][0]["body"] == "Not needed after all."
    assert first["scheduled_auto_transition"] is last["scheduled_auto_transition"] is True
    # The window has the default reminder, not yet sent.
    assert first["scheduled_remind_prior"] is last["scheduled_remind_prior"] is True
    assert first["scheduled_reminded_at"] is last["scheduled_reminded_at"] is None
    set_here = {"scheduled_auto_transition", "scheduled_remind_prior"}
    assert {key: first[key] for key in STATUSPAGE_UNUSED if key not in set_here} == {
        key: value for key, value in STATUSPAGE_UNUSED.items() if key not in set_here
    }


def test_a_window_moved_by_hand_has_no_scheduled_auto_transition(receiver, imap):
    endpoint_for(receiver)
    start, end = utc(2040, 1, 12, 5, 30), utc(2040, 1, 12, 7, 30)
    schedule_maintenance(start=start, end=end, components=[imap], auto_complete=False)
    write_deliveries()

    dispatch.run([Delivery.objects.get(channel="webhook").pk])

    assert receiver.received[0].json["incident"]["scheduled_auto_transition"] is False


def test_a_server_error_then_success_is_sent_once(
    receiver, imap, eager_celery, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    receiver.answers = [500]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(imap)

    delivery = webhook_delivery(Notice.objects.get(incident=incident))
    assert len(receiver.received) == 2
    assert {r.headers["X-Statuspage-Delivery"] for r in receiver.received} == {str(delivery.pk)}
    assert all(verify(endpoint.secret, r) for r in receiver.received)
    assert (delivery.state, delivery.attempts, delivery.reference) == ("sent", 2, "200 rcpt-2")
    assert fresh(endpoint).consecutive_failures == 0


def test_gone_disables_the_endpoint_at_once_and_tells_its_contact(
    receiver, imap, eager_celery, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    receiver.answers = [410]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos(imap)
    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_incident(incident, body="Mail flows again.")

    endpoint = fresh(endpoint)
    assert endpoint.disabled_at is not None
    assert endpoint.disabled_reason == "Disabled because it answered 410 Gone."
    assert webhook_delivery(
        Notice.objects.get(incident=incident, kind="incident.opened")
    ).state == (DeliveryState.FAILED)
    assert len(receiver.received) == 1  # the resolution was not sent, nor recorded
    assert not Delivery.objects.filter(notice__kind="incident.resolved", channel="webhook")
    [note] = mail.outbox
    assert note.to == ["ops@example.com"]
    assert note.subject == "[Runbox Status] Your webhook was disabled"
    assert receiver.url in note.body
    assert "it answered 410 Gone" in note.body


def test_repeated_refusals_disable_the_endpoint_and_its_contact_gets_one_mail(
    settings, receiver, imap
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    endpoint = endpoint_for(receiver)
    receiver.answers = [404, 404, 404]
    incident = open_ddos(imap)
    for n in range(2):
        actions.post_incident_update(
            incident, status=IncidentStatus.IDENTIFIED, body=f"Update {n}."
        )
    write_deliveries()
    deliveries = Delivery.objects.filter(channel="webhook").order_by("id")

    for delivery in deliveries[:2]:
        dispatch.run([delivery.pk])
    assert (fresh(endpoint).consecutive_failures, fresh(endpoint).disabled_at) == (2, None)
    assert mail.outbox == []
    dispatch.run([deliveries[2].pk])

    endpoint = fresh(endpoint)
    assert endpoint.consecutive_failures == 3
    assert endpoint.disabled_reason == "Disabled because 3 deliveries in a row failed."
    assert [d.state for d in deliveries] == ["failed"] * 3
    assert "404 Not Found" in deliveries[2].last_error
    [note] = mail.outbox
    assert note.to == ["ops@example.com"]
    assert receiver.url in note.body
    assert "3 deliveries in a row failed" in note.body
    assert "The last error: 404 Not Found" in note.body
    assert "ask the Runbox Status staff to re-enable it" in note.body

    actions.resolve_incident(incident, body="Mail flows again.")
    write_deliveries()
    assert Delivery.objects.filter(channel="webhook").count() == 3  # none for the disabled one
    assert len(receiver.received) == 3


def test_a_success_resets_the_count_of_failures(settings, receiver, imap):
    settings.WEBHOOK_DISABLE_AFTER = 2
    endpoint = endpoint_for(receiver)
    receiver.answers = [400, 200, 400]
    incident = open_ddos(imap)
    for n in range(2):
        actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body=f"{n}.")
    write_deliveries()

    for delivery in Delivery.objects.filter(channel="webhook").order_by("id"):
        dispatch.run([delivery.pk])

    assert fresh(endpoint).consecutive_failures == 1
    assert fresh(endpoint).is_enabled


def test_the_endpoint_keeps_its_last_success_and_its_last_failure_for_staff(receiver, imap):
    endpoint = endpoint_for(receiver)
    receiver.answers = [503, 200]
    incident = open_ddos(imap)
    actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body="Found it.")
    write_deliveries()
    first, second = Delivery.objects.filter(channel="webhook").order_by("id")

    dispatch.run([first.pk])
    failed = fresh(endpoint)
    assert failed.last_success_at is None and failed.last_failure_at is not None
    assert failed.last_failure.startswith("503 Service Unavailable")

    dispatch.run([second.pk])
    answered = fresh(endpoint)
    assert answered.last_success_at > answered.last_failure_at
    assert answered.last_failure.startswith("503")  # kept: the last failure, not the last try


def test_a_delivery_past_its_give_up_age_counts_as_a_failure(settings, receiver, imap):
    settings.DELIVERY_GIVE_UP_AFTER = 0
    settings.WEBHOOK_DISABLE_AFTER = 1
    endpoint = endpoint_for(receiver)
    receiver.answers = [503]

    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()
    dispatch.run([webhook_delivery(notice).pk])

    assert fresh(endpoint).disabled_reason == "Disabled because 1 deliveries in a row failed."
    assert len(mail.outbox) == 1


def test_a_redirect_is_not_followed_and_fails(receiver, imap):
    endpoint_for(receiver)
    receiver.answers = [302]

    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()
    dispatch.run([webhook_delivery(notice).pk])

    delivery = webhook_delivery(notice)
    assert delivery.state == DeliveryState.FAILED
    assert f"redirects to {receiver.url}moved" in delivery.last_error
    assert len(receiver.received) == 1


def test_a_slow_endpoint_times_out_and_is_tried_again_later(settings, receiver, imap):
    settings.OUTBOUND_HTTP_TIMEOUT = 1
    endpoint = endpoint_for(receiver)
    receiver.delay = 2.0

    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()
    started = time.monotonic()
    dispatch.run([webhook_delivery(notice).pk])

    assert time.monotonic() - started < 1.9
    delivery = webhook_delivery(notice)
    assert delivery.state == DeliveryState.RETRYING
    assert "Cannot reach 127.0.0.1" in delivery.last_error
    assert fresh(endpoint).consecutive_failures == 0


def test_endpoints_get_the_notices_of_their_components_and_never_when_disabled(
    receiver, imap, django_capture_on_commit_callbacks
):
    smtp = make_component("SMTP")
    everything = endpoint_for(receiver)
    for_imap = endpoint_for(receiver, imap)
    for_smtp = endpoint_for(receiver, smtp)
    disabled = endpoint_for(receiver)
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(disabled_at=utc(2024, 1, 1))

    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()

    targets = set(Delivery.objects.filter(notice=notice).values_list("target", flat=True))
    assert targets == {str(everything.pk), str(for_imap.pk)}
    assert str(for_smtp.pk) not in targets


def test_a_pending_delivery_to_an_endpoint_disabled_since_is_not_sent(receiver, imap):
    endpoint = endpoint_for(receiver)
    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_at=utc(2024, 1, 1), disabled_reason="Disabled by staff."
    )

    dispatch.run([webhook_delivery(notice).pk])

    assert webhook_delivery(notice).last_error == "The endpoint is disabled: Disabled by staff."
    assert receiver.received == []


def test_a_subscriber_endpoint_may_not_point_at_a_private_address(receiver, imap):
    endpoint_for(receiver, owner=WebhookEndpoint.Owner.SUBSCRIBER)

    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()
    dispatch.run([webhook_delivery(notice).pk])

    assert webhook_delivery(notice).state == DeliveryState.FAILED
    assert "refused: 127.0.0.1 is a loopback address" in webhook_delivery(notice).last_error
    assert receiver.received == []


def test_a_subscriber_endpoint_on_loopback_is_posted_when_the_setting_allows(
    settings, receiver, imap
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    endpoint_for(receiver, owner=WebhookEndpoint.Owner.SUBSCRIBER)

    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()
    dispatch.run([webhook_delivery(notice).pk])

    assert webhook_delivery(notice).state == DeliveryState.SENT
    assert len(receiver.received) == 1


def test_blog_posts_are_not_sent_to_webhooks(receiver):
    endpoint_for(receiver)

    post = publish_post()

    notice = Notice.objects.get(post=post)
    assert "webhook" not in notice.channels
    assert not notice.deliveries.filter(channel="webhook").exists()
    assert channel_named("webhook").preview(notice) == "post.published as JSON to 0 endpoints"


def test_an_address_requests_cannot_post_to_fails_for_good(imap):
    WebhookEndpoint.objects.create(url="ftp://files.example.com/hooks")

    notice = Notice.objects.get(incident=open_ddos(imap))
    write_deliveries()
    dispatch.run([webhook_delivery(notice).pk])

    assert webhook_delivery(notice).state == DeliveryState.FAILED
    assert "Cannot post to ftp://files.example.com/hooks" in webhook_delivery(notice).last_error
