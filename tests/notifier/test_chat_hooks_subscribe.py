"""Subscribing a chat hook: a code posted to it (a real local HTTPS server), entered on our page;
nothing stored before; five tries; the reader's own page can add a hook."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from notifier.channels.contact import manage_url
from notifier.models import ContactPoint, Subscriber
from notifier.signed_links import manage_token
from tests.factories import make_component
from tests.notifier.chat_hook_server import (
    DISCORD,
    SLACK,
    TEAMS,
    HookServer,
    hook_certs,
    hook_server,
)

pytestmark = pytest.mark.django_db
__all__ = ["hook_certs", "hook_server"]  # the fixtures, used by name

PAGE = "/subscribe/chat/"
SLACK_PATH = "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"


def code_in(body: dict) -> str:
    text = body.get("text") or body.get("content") or str(body)
    found = re.search(r"notices: (\d{6})", text)
    assert found, body
    return found.group(1)


def pending_in(page: bytes) -> str:
    found = re.search(rb'name="pending" value="([^"]+)"', page)
    assert found, page
    return found.group(1).decode()


def ask(client: Client, server: HookServer, service: str = "slack", **extra: object):
    host = {"slack": SLACK, "teams": TEAMS, "discord": DISCORD}[service]
    data = {"service": service, "url": server.url(host, SLACK_PATH), **extra}
    return client.post(PAGE, data)


def test_the_page_explains_where_each_service_gives_its_url(client: Client):
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Slack, Teams or Discord" in text and 'aria-current="page"' in text
    for where in ("hooks.slack.com/services/", "Workflows", "Copy Webhook URL"):
        assert where in text
    assert reverse("subscribe_chat") == PAGE


def test_the_right_code_subscribes_the_hook_and_nothing_is_kept_before(
    client: Client, hook_server: HookServer
):
    mail = make_component("Mail")
    asked = ask(client, hook_server, components=[mail.pk])

    assert asked.status_code == 200 and b"Enter the code" in asked.content
    [posted] = hook_server.received
    assert posted.path == SLACK_PATH and posted.body["text"].startswith(
        "Your confirmation code for "
    )
    assert not ContactPoint.objects.exists() and not Subscriber.objects.exists()
    pending = pending_in(asked.content)
    wrong = "000000" if code_in(posted.body) != "000000" else "111111"
    refused = client.post(PAGE, {"pending": pending, "code": wrong})
    assert refused.status_code == 400 and b"not the code" in refused.content
    assert b'aria-describedby="code-error"' in refused.content

    done = client.post(PAGE, {"pending": pending, "code": code_in(posted.body)})

    assert done.status_code == 200
    point = ContactPoint.objects.get()
    assert (point.channel, point.address) == ("slack", hook_server.url(SLACK, SLACK_PATH))
    assert list(point.subscriber.components.all()) == [mail]
    assert manage_url(point.subscriber).encode() in done.content


@pytest.mark.parametrize(("service", "key"), [("teams", "attachments"), ("discord", "content")])
def test_the_code_comes_in_each_services_format(client, hook_server, service, key):
    assert ask(client, hook_server, service).status_code == 200
    [posted] = hook_server.received
    assert key in posted.body
    if service == "discord":
        assert posted.body["allowed_mentions"] == {"parse": []}
        assert code_in(posted.body)
    else:
        card = posted.body["attachments"][0]["content"]
        assert card["type"] == "AdaptiveCard"
        assert re.search(r"notices: \d{6}", card["body"][0]["text"])


def test_five_tries_then_even_the_right_code_is_refused(client: Client, hook_server: HookServer):
    asked = ask(client, hook_server)
    code = code_in(hook_server.received[0].body)
    pending = pending_in(asked.content)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert client.post(PAGE, {"pending": pending, "code": wrong}).status_code == 400

    last = client.post(PAGE, {"pending": pending, "code": code})

    assert last.status_code == 400 and b"5 tries" in last.content
    assert not ContactPoint.objects.exists()


def test_a_used_code_does_not_add_the_hook_again_after_it_was_removed(
    client: Client, hook_server: HookServer
):
    asked = ask(client, hook_server)
    entry = {"pending": pending_in(asked.content), "code": code_in(hook_server.received[0].body)}
    assert client.post(PAGE, entry).status_code == 200
    ContactPoint.objects.all().delete()

    again = client.post(PAGE, entry)

    assert again.status_code == 400 and b"already been used" in again.content
    assert not ContactPoint.objects.exists()


def test_a_changed_or_expired_request_is_a_clear_400(client, hook_server, settings):
    asked = ask(client, hook_server)
    code = code_in(hook_server.received[0].body)
    pending = pending_in(asked.content)

    changed = client.post(PAGE, {"pending": pending[:-2] + "xx", "code": code})
    assert changed.status_code == 400 and b"changed or cut short" in changed.content
    settings.CHAT_CODE_MAX_AGE = -1
    expired = client.post(PAGE, {"pending": pending, "code": code})
    assert expired.status_code == 400 and b"run out" in expired.content
    assert not ContactPoint.objects.exists()


def test_from_the_readers_own_page_the_hook_joins_that_reader(client, hook_server):
    reader = Subscriber.objects.create(email="reader@example.com")
    token = manage_token(reader.pk, reader.key)
    page = client.get(PAGE, {"for": token})
    assert page.status_code == 200 and token.encode() in page.content
    asked = ask(client, hook_server, **{"for": token})

    client.post(
        PAGE, {"pending": pending_in(asked.content), "code": code_in(hook_server.received[0].body)}
    )

    assert ContactPoint.objects.get().subscriber == reader
    assert client.get(PAGE, {"for": token + "x"}).status_code == 400


def test_a_hook_that_is_gone_or_unreachable_is_a_form_error(client, hook_server):
    hook_server.answer(404, b"no_service")
    gone = ask(client, hook_server)
    assert gone.status_code == 400 and b"no longer exists" in gone.content
    hook_server.dns[SLACK] = "10.0.0.7"
    private = ask(client, hook_server)
    assert private.status_code == 400 and b"resolves to 10.0.0.7" in private.content
    assert b'aria-describedby="url-error"' in private.content
    assert not ContactPoint.objects.exists()


def test_the_url_must_look_like_the_chosen_services(client: Client, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    cases = {
        ("slack", "https://discord.com/api/webhooks/1/t"): b"not a Slack incoming-webhook URL",
        ("teams", "https://example.com/hook"): b"not a Teams incoming-webhook URL",
        ("discord", "http://discord.com/api/webhooks/1/t"): b"must start with https",
        ("discord", "https://10.0.0.5/api/webhooks/1/t"): b"a private address",
    }
    for (service, url), said in cases.items():
        page = client.post(PAGE, {"service": service, "url": url})
        assert page.status_code == 400 and said in page.content, (service, url)
    assert client.post(PAGE, {"service": "irc", "url": "https://x.example"}).status_code == 400


def test_asking_for_codes_is_rate_limited_per_client(client, hook_server, settings):
    settings.SUBSCRIBE_RATE_LIMIT = 1
    assert ask(client, hook_server).status_code == 200
    again = ask(client, hook_server)
    assert again.status_code == 429 and "Retry-After" in again
    assert b"1 confirmation code within" in again.content
    assert len(hook_server.received) == 1
