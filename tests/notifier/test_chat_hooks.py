"""Slack, Teams and Discord hooks: the exact messages a real local HTTPS server receives, the
address checks, and what each answer does (retry, wait, forget the hook)."""

from __future__ import annotations

import json

import pytest

import actions
from incidents.models import ComponentStatus, Incident
from notifier import dispatch
from notifier.channels.contact import manage_url
from notifier.manage import add_contact
from notifier.models import ContactPoint, Delivery, DeliveryState, Subscriber
from tests.factories import make_component, oslo
from tests.notifier.chat_hook_server import (
    DISCORD,
    SLACK,
    TEAMS,
    HookServer,
    hook_certs,
    hook_server,
)
from tests.notifier.expanding import write_deliveries

pytestmark = pytest.mark.django_db
__all__ = ["hook_certs", "hook_server"]  # the fixtures, used by name

SLACK_PATH = "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
TEAMS_PATH = "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s1g"
DISCORD_PATH = "/api/webhooks/1234567890/t0k3n"
INCIDENT_URL = "http://testserver/incidents/{}/"
SITE = "https://status.example.com"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.SITE_NAME = "Runbox Status"
    settings.DELIVERY_RETRY_BASE_SECONDS = 10


def open_ddos(channels: list[str]) -> Incident:
    """The publish, and the deliveries a worker's expansion then writes."""
    incident = actions.open_incident(
        title="Email <services> down & slow",
        body="Our email services are inaccessible; we are working to find out *where*.",
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
        channels=channels,
    )
    write_deliveries()
    return incident


def send_all(channel: str) -> list[Delivery]:
    ids = list(Delivery.objects.filter(channel=channel).values_list("id", flat=True))
    dispatch.run(ids)
    return list(Delivery.objects.filter(pk__in=ids).order_by("id"))


def test_slack_gets_block_kit_with_escaped_text_and_the_readers_own_link(hook_server: HookServer):
    point = add_contact("slack", hook_server.url(SLACK, SLACK_PATH), component_ids=[])
    incident = open_ddos(["slack"])

    [delivery] = send_all("slack")

    assert delivery.state == DeliveryState.SENT and delivery.reference == "200"
    [request] = hook_server.received
    assert (request.host, request.path) == (SLACK, SLACK_PATH)
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    url = f"{SITE}/incidents/{incident.pk}/"
    manage = manage_url(point.subscriber)
    assert manage.startswith(f"{SITE}/subscription/")
    assert request.body == {
        "text": "Email &lt;services&gt; down &amp; slow: investigating "
        "(Fri 25 Jan 2013, 00:15 CET)",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*<{url}|Email &lt;services&gt; down &amp; slow>*\n"
                    "Investigating · Fri 25 Jan 2013, 00:15 CET",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "plain_text",
                    "text": "Our email services are inaccessible; we are working to find out "
                    "where.",
                    "emoji": False,
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "*Affects:* IMAP"}]},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"<{url}|View the incident> · "
                        f"<{manage}|Change or stop these notices>",
                    }
                ],
            },
        ],
        "unfurl_links": False,
        "unfurl_media": False,
    }


def test_teams_gets_an_adaptive_card_message(hook_server: HookServer):
    point = add_contact("teams", hook_server.url(TEAMS, TEAMS_PATH), component_ids=[])
    incident = open_ddos(["teams"])

    send_all("teams")

    [request] = hook_server.received
    assert (request.host, request.path) == (TEAMS, TEAMS_PATH)
    assert request.body == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": "Investigating",
                            "wrap": True,
                            "weight": "Bolder",
                            "color": "Attention",
                            "spacing": "None",
                        },
                        {
                            "type": "TextBlock",
                            "text": "Email <services> down & slow",
                            "wrap": True,
                            "weight": "Bolder",
                            "size": "Medium",
                        },
                        {
                            "type": "TextBlock",
                            "text": "Fri 25 Jan 2013, 00:15 CET",
                            "wrap": True,
                            "isSubtle": True,
                            "spacing": "None",
                        },
                        {
                            "type": "TextBlock",
                            "text": "Our email services are inaccessible; we are working to "
                            "find out where.",
                            "wrap": True,
                        },
                        {"type": "FactSet", "facts": [{"title": "Affects", "value": "IMAP"}]},
                    ],
                    "actions": [
                        {
                            "type": "Action.OpenUrl",
                            "title": "View the incident",
                            "url": f"{SITE}/incidents/{incident.pk}/",
                        },
                        {
                            "type": "Action.OpenUrl",
                            "title": "Change or stop these notices",
                            "url": manage_url(point.subscriber),
                        },
                    ],
                },
            }
        ],
    }


def test_discord_gets_an_embed_that_mentions_nobody(hook_server: HookServer):
    point = add_contact("discord", hook_server.url(DISCORD, DISCORD_PATH), component_ids=[])
    incident = open_ddos(["discord"])

    send_all("discord")

    [request] = hook_server.received
    assert (request.host, request.path) == (DISCORD, DISCORD_PATH)
    assert request.body == {
        "embeds": [
            {
                "title": "Email <services> down & slow: investigating",
                "url": f"{SITE}/incidents/{incident.pk}/",
                "color": 0xE74C3C,
                "timestamp": "2013-01-24T23:15:00Z",
                "fields": [
                    {"name": "Affects", "value": "IMAP", "inline": False},
                    {
                        "name": "Your subscription",
                        "value": f"[Change or stop these notices]({manage_url(point.subscriber)})",
                        "inline": False,
                    },
                ],
                "footer": {"text": "Investigating · Fri 25 Jan 2013, 00:15 CET"},
                "description": "Our email services are inaccessible; we are working to find "
                "out where.",
            }
        ],
        "allowed_mentions": {"parse": []},
    }


def test_a_long_update_is_cut_to_each_services_limits(hook_server: HookServer):
    add_contact("slack", hook_server.url(SLACK, SLACK_PATH), component_ids=[])
    add_contact("discord", hook_server.url(DISCORD, DISCORD_PATH), component_ids=[])
    actions.open_incident(title="Long", body="word " * 3000, channels=["slack", "discord"])
    write_deliveries()

    send_all("slack")
    send_all("discord")

    slack, discord = (r.body for r in hook_server.received)
    assert 2990 < len(slack["blocks"][1]["text"]["text"]) <= 3000
    assert slack["blocks"][1]["text"]["text"].endswith("…")
    embed = discord["embeds"][0]
    assert 4086 < len(embed["description"]) <= 4096 and embed["description"].endswith("…")
    assert sum(len(str(v)) for k, v in embed.items() if k in ("title", "description")) < 6000


def test_a_5xx_then_success_is_one_message(hook_server: HookServer):
    add_contact("slack", hook_server.url(SLACK, SLACK_PATH), component_ids=[])
    open_ddos(["slack"])
    hook_server.answer(503, b"service unavailable")

    [failed] = send_all("slack")
    assert failed.state == DeliveryState.RETRYING
    assert failed.last_error == "Slack is failing (503 Service Unavailable: service unavailable)."
    [sent] = send_all("slack")

    assert sent.state == DeliveryState.SENT
    assert len(hook_server.received) == 2  # the failed try, and the one message that arrived


def test_a_429_waits_as_long_as_the_service_asks(hook_server: HookServer, settings):
    add_contact("discord", hook_server.url(DISCORD, DISCORD_PATH), component_ids=[])
    add_contact("slack", hook_server.url(SLACK, SLACK_PATH), component_ids=[])
    open_ddos(["discord", "slack"])
    limited = json.dumps({"message": "You are being rate limited.", "retry_after": 64.57})
    hook_server.answer(429, limited.encode(), **{"Retry-After": "65"})
    hook_server.answer(429, b"rate_limited", **{"Retry-After": "120"})

    result = dispatch.run([Delivery.objects.get(channel="discord").pk])
    assert result.retry_in is not None and result.retry_in == pytest.approx(64.57)
    result = dispatch.run([Delivery.objects.get(channel="slack").pk])
    assert result.retry_in == 120.0

    waiting = Delivery.objects.get(channel="slack")
    assert waiting.state == DeliveryState.RETRYING
    assert waiting.last_error == "Slack rate limit (429 Too Many Requests: rate_limited)."


@pytest.mark.parametrize(
    ("service", "status", "body"),
    [
        ("slack", 404, b"no_service"),
        ("slack", 410, b"channel_is_archived"),
        ("slack", 403, b"channel_not_found"),
        ("discord", 404, b'{"message": "Unknown Webhook", "code": 10015}'),
        ("teams", 404, b""),
    ],
)
def test_a_deleted_hook_is_forgotten_with_its_reader(hook_server, service, status, body):
    host, path = {"slack": (SLACK, SLACK_PATH), "discord": (DISCORD, DISCORD_PATH)}.get(
        service, (TEAMS, TEAMS_PATH)
    )
    add_contact(service, hook_server.url(host, path), component_ids=[])
    kept = Subscriber.objects.create(email="reader@example.com")
    add_contact(service, hook_server.url(host, path + "2"), component_ids=[], subscriber=kept)
    open_ddos([service])
    hook_server.answer(status, body)

    gone, sent = send_all(service)

    assert gone.state == DeliveryState.FAILED and "no longer exists" in gone.last_error
    assert sent.state == DeliveryState.SENT
    assert list(ContactPoint.objects.values_list("subscriber", flat=True)) == [kept.pk]
    assert list(Subscriber.objects.all()) == [kept]


def test_another_4xx_fails_for_good_and_keeps_the_hook(hook_server: HookServer):
    add_contact("slack", hook_server.url(SLACK, SLACK_PATH), component_ids=[])
    open_ddos(["slack"])
    hook_server.answer(400, b"invalid_payload")

    [delivery] = send_all("slack")

    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error == "Slack refused the message (400 Bad Request: invalid_payload)."
    assert ContactPoint.objects.count() == 1


@pytest.mark.parametrize("private", ["10.0.0.5", "169.254.169.254", "::ffff:192.168.1.1"])
def test_a_hook_name_that_resolves_to_a_private_address_is_refused(hook_server, private):
    add_contact("slack", hook_server.url(SLACK, SLACK_PATH), component_ids=[])
    open_ddos(["slack"])
    hook_server.dns[SLACK] = private

    [delivery] = send_all("slack")

    assert delivery.state == DeliveryState.FAILED
    assert f"{SLACK} resolves to {private}" in delivery.last_error
    assert hook_server.received == []
    assert ContactPoint.objects.count() == 1  # our refusal, not the service's: kept


def test_plain_http_to_a_public_name_is_refused(hook_server: HookServer, monkeypatch):
    add_contact("slack", f"http://{SLACK}{SLACK_PATH}", component_ids=[])
    open_ddos(["slack"])
    hook_server.dns[SLACK] = "93.184.216.34"

    [delivery] = send_all("slack")

    assert delivery.state == DeliveryState.FAILED
    assert "is not https" in delivery.last_error


def test_hooks_of_one_service_share_a_connection_in_a_batch(hook_server: HookServer):
    for n in range(3):
        add_contact("slack", hook_server.url(SLACK, f"{SLACK_PATH}{n}"), component_ids=[])
    open_ddos(["slack"])

    sent = send_all("slack")

    assert [d.state for d in sent] == [DeliveryState.SENT] * 3
    assert len(hook_server.received) == 3 and hook_server.connections == 1


def test_off_when_the_setting_says_so(settings):
    from notifier.registry import channel_named, subscribe_ways

    assert "slack" in [way.name for way in subscribe_ways()]
    settings.CHAT_WEBHOOKS_ENABLED = False
    assert not channel_named("teams").is_configured()
    assert channel_named("discord").why_off() == "CHAT_WEBHOOKS_ENABLED is false."
    assert "slack" not in [way.name for way in subscribe_ways()]


def test_one_hook_failing_holds_up_none_of_the_others_in_its_batch(hook_server: HookServer):
    for n in range(3):
        add_contact("slack", hook_server.url(SLACK, f"{SLACK_PATH}{n}"), component_ids=[])
    open_ddos(["slack"])
    ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))
    hook_server.answer(200, b"ok")
    hook_server.answer(503, b"")

    first = dispatch.run(ids)

    assert (first.sent, first.retry_in is not None) == (2, True)
    states = list(Delivery.objects.order_by("id").values_list("state", flat=True))
    assert states == [DeliveryState.SENT, DeliveryState.RETRYING, DeliveryState.SENT]
    again = dispatch.run(ids)  # the task's retry: the same ids, only the unsent one claimed
    assert (again.sent, again.retry_in) == (1, None)
    assert len(hook_server.received) == 4


def test_failures_in_a_row_stop_the_batch_as_the_service_itself_may_be_down(hook_server):
    for n in range(5):
        add_contact("discord", hook_server.url(DISCORD, f"{DISCORD_PATH}{n}"), component_ids=[])
    open_ddos(["discord"])
    for _ in range(3):
        hook_server.answer(502, b"")

    result = dispatch.run(list(Delivery.objects.values_list("id", flat=True)))

    assert result.retry_in is not None and result.sent == 0
    states = list(Delivery.objects.order_by("id").values_list("state", flat=True))
    assert states == [DeliveryState.RETRYING] * 3 + [DeliveryState.PENDING] * 2
    assert len(hook_server.received) == 3
