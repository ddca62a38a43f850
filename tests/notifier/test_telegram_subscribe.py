"""Subscribing on Telegram: the page's deep link, the bot's webhook, and registering it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

import actions
from incidents.models import Component, ComponentStatus
from notifier.channels.contact import manage_url
from notifier.manage import add_contact
from notifier.models import ContactPoint, Subscriber
from notifier.signed_links import manage_token
from notifier.telegram_links import join_payload, read_payload, start_payload
from tests.factories import make_component
from tests.notifier.telegram_bot_api import TOKEN, BotApi, bot_api
from tests.test_html_validity import validation_errors

pytestmark = [pytest.mark.django_db]
__all__ = ["bot_api"]  # the fixture, used by name

SECRET = "s3cret-webhook_token"
CHAT = 111222333
WEBHOOK = "/telegram/webhook/"
PAGE = "/subscribe/telegram/"


@pytest.fixture(autouse=True)
def telegram_bot(settings, bot_api: BotApi):
    settings.TELEGRAM_API_URL = bot_api.url
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_BOT_USERNAME = "RunboxStatusBot"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = settings.MATRIX_ACCESS_TOKEN = ""
    return settings


def update(text: Any, chat: Any = CHAT, chat_type: str = "private") -> dict[str, Any]:
    return {
        "update_id": 10_000,
        "message": {
            "message_id": 1,
            "date": 1_800_000_000,
            "from": {"id": chat, "is_bot": False, "first_name": "Anna"},
            "chat": {"id": chat, "type": chat_type, "first_name": "Anna"},
            "text": text,
        },
    }


def post_update(client: Client, body: Any, secret: str | None = SECRET) -> Any:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(WEBHOOK, data=data, content_type="application/json", headers=headers)


def said(response: Any) -> str:
    assert response.status_code == 200
    reply = response.json()
    assert {k: v for k, v in reply.items() if k != "text"} == {
        "method": "sendMessage",
        "chat_id": CHAT,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    return reply["text"]


def payload_of(page: Any) -> str:
    link = page.context["link"]
    assert link.startswith("https://t.me/RunboxStatusBot?start=")
    return parse_qs(urlsplit(link).query)["start"][0]


def test_the_page_gives_a_deep_link_with_the_chosen_services_and_stores_nothing(client):
    imap, smtp = make_component("IMAP", showcase=True), make_component("SMTP", showcase=True)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b'aria-current="page">Telegram</a>' in page.content
    assert b"IMAP" in page.content and b'name="components"' in page.content

    chosen = client.post(PAGE, {"components": [smtp.pk, imap.pk], "for": ""})

    assert chosen.status_code == 200
    assert read_payload(payload_of(chosen)).component_ids == (imap.pk, smtp.pk)
    assert b'href="https://t.me/RunboxStatusBot?start=' in chosen.content
    assert b"The link works for 3 days" in chosen.content
    every = client.post(PAGE, {})
    assert read_payload(payload_of(every)).component_ids == ()
    assert not Subscriber.objects.exists() and not ContactPoint.objects.exists()


def test_too_many_services_for_one_link_is_a_form_error_not_a_500(client):
    # Every other one of 300: too far apart for a bitmask, too many for a list of ids.
    Component.objects.bulk_create(Component(name=f"S{n}", showcase=True) for n in range(300))
    every_other = list(Component.objects.values_list("pk", flat=True))[::2]

    page = client.post(PAGE, {"components": every_other})

    assert page.status_code == 400
    assert b"150 services do not fit in a Telegram link: choose fewer" in page.content
    assert b'role="alert"' in page.content


def test_from_the_readers_own_page_the_link_joins_that_reader(client):
    reader = Subscriber.objects.create(email="anna@example.com")
    token = manage_token(reader.pk, reader.key)
    page = client.get(PAGE, {"for": token})
    assert page.status_code == 200
    assert f'name="for" value="{token}"'.encode() in page.content
    assert b'name="components"' not in page.content

    made = client.post(PAGE, {"for": token})

    wish = read_payload(payload_of(made))
    assert wish.subscriber_id == reader.pk
    assert client.get(PAGE, {"for": token + "x"}).status_code == 400


def test_the_page_is_not_there_while_telegram_is_off(client, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert client.get(PAGE).status_code == 404


def test_the_page_in_each_of_its_states_is_valid_html(client, tmp_path: Path):
    make_component("IMAP", showcase=True)
    Component.objects.bulk_create(Component(name=f"S{n}", showcase=True) for n in range(300))
    reader = Subscriber.objects.create(email="anna@example.com")
    pages = {
        "form": client.get(PAGE).content.decode(),
        "link": client.post(PAGE, {}).content.decode(),
        "error": client.post(
            PAGE, {"components": list(Component.objects.values_list("pk", flat=True))[::2]}
        ).content.decode(),
        "for": client.get(PAGE, {"for": manage_token(reader.pk, reader.key)}).content.decode(),
    }
    assert not validation_errors(pages, tmp_path)


def test_start_with_a_good_payload_subscribes_the_chat_and_welcomes_it(client, bot_api):
    imap = make_component("IMAP", showcase=True)

    text = said(post_update(client, update(f"/start {start_payload([imap.pk])}")))

    point = ContactPoint.objects.get(channel="telegram")
    assert (point.address, point.details) == (str(CHAT), {})
    assert list(point.subscriber.components.all()) == [imap]
    assert text == (
        "You will get Runbox Status notices here about IMAP: when an incident starts, at each "
        "update and when it is resolved, and before and after maintenance.\n\n"
        f'Send /stop to stop them. <a href="{manage_url(point.subscriber)}">Your subscription'
        "</a> shows what you get and lets you change it."
    )
    assert bot_api.received == []  # the answer rides on the webhook's response


def test_the_subscribed_chat_gets_the_next_incident(
    client, bot_api, django_capture_on_commit_callbacks
):
    from statuspage.celery import app

    imap = make_component("IMAP", showcase=True)
    payload = payload_of(client.post(PAGE, {"components": [imap.pk]}))
    said(post_update(client, update(f"/start@RunboxStatusBot {payload}")))
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            actions.open_incident(
                title="IMAP down",
                body="Looking.",
                impact="major",
                component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
            )
    finally:
        app.conf.task_always_eager = False

    assert [(r.path, r.json["chat_id"]) for r in bot_api.received] == [
        (f"/bot{TOKEN}/sendMessage", CHAT)
    ]
    assert bot_api.received[0].json["text"].startswith("<b>IMAP down: investigating (")


def test_start_from_the_readers_own_page_adds_the_chat_to_that_reader(client):
    reader = Subscriber.objects.create(email="anna@example.com")
    said(post_update(client, update(f"/start {join_payload(reader.pk, reader.key)}")))
    assert ContactPoint.objects.get().subscriber == reader
    assert Subscriber.objects.count() == 1

    reader.key = "renewed"
    reader.save()
    stale = said(post_update(client, update(f"/start {join_payload(reader.pk, 'old')}")))
    assert stale.startswith("The subscription this link was made for no longer exists.")


def test_start_with_a_changed_or_expired_payload_says_so_and_stores_nothing(client, settings):
    payload = start_payload([])
    changed = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    text = said(post_update(client, update(f"/start {changed}")))
    assert text == (
        "This link is not valid: it was cut short or changed. Please get a new link. "
        'You can get one on <a href="http://127.0.0.1:8000/subscribe/telegram/">the status '
        "page</a>."
    )
    old = start_payload([], now=time.time() - settings.SUBSCRIBE_CONFIRM_MAX_AGE - 5)
    text = said(post_update(client, update(f"/start {old}")))
    assert text.startswith("This link has expired. Please get a new link.")
    gone = make_component("Gone", showcase=True)
    deleted = start_payload([gone.pk])
    gone.delete()
    text = said(post_update(client, update(f"/start {deleted}")))
    assert text.startswith("The services this link names no longer exist.")
    assert not ContactPoint.objects.exists() and not Subscriber.objects.exists()


def test_start_without_a_payload_points_to_the_page(client):
    text = said(post_update(client, update("/start")))
    assert text == (
        "To get Runbox Status notices here, choose the services on "
        '<a href="http://127.0.0.1:8000/subscribe/telegram/">the status page</a> and follow '
        "the link it gives you."
    )


def test_stop_forgets_the_chat_and_its_reader(client):
    point = add_contact("telegram", str(CHAT), component_ids=[])
    help_text = said(post_update(client, update("hello?")))
    assert "Send /stop to stop them" in help_text

    text = said(post_update(client, update("/stop")))

    assert text.startswith("You will get no more notices here, and this chat is forgotten.")
    assert not ContactPoint.objects.exists()
    assert not Subscriber.objects.filter(pk=point.subscriber_id).exists()
    assert said(post_update(client, update("/stop"))).startswith("This chat gets no notices.")


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", "s3cret-webhook_toke"])
def test_the_webhook_refuses_anyone_without_the_secret(client, secret):
    response = post_update(client, update(f"/start {start_payload([])}"), secret=secret)
    assert response.status_code == 403
    assert not ContactPoint.objects.exists()


def test_without_a_secret_set_nothing_gets_in(client, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert post_update(client, update("/stop"), secret="").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        "[]",
        "null",
        "1" * 5000,
        {},
        {"update_id": 1},
        {"message": "text"},
        {"message": {"chat": "x", "text": "/stop"}},
        {"edited_message": update("/stop")["message"]},
        update("/stop", chat_type="group"),
        update("/stop", chat=True),
        update("/stop", chat="111222333"),
        update("/stop", chat=2**70),
        update("/stop", chat=0),
        update(["/stop"]),
        update(None),
        {"message": {"chat": {"id": CHAT, "type": "private"}, "photo": [{}]}},
    ],
)
def test_anything_but_a_private_text_message_is_ignored_with_a_200(client, body):
    add_contact("telegram", str(CHAT), component_ids=[])
    response = post_update(client, body)
    assert (response.status_code, response.content) == (200, b"")
    assert ContactPoint.objects.count() == 1


def test_a_deeply_nested_or_oversized_body_is_ignored_too(client, settings):
    assert post_update(client, "[" * 200_000 + "]" * 200_000).status_code == 200
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    padded = update(f"/start {start_payload([])}") | {"padding": "x" * 2000}
    response = post_update(client, padded)
    assert (response.status_code, response.content) == (200, b"")
    assert not ContactPoint.objects.exists()


def test_the_webhook_takes_posts_only(client):
    response = client.get(WEBHOOK, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 405


def test_the_command_registers_the_webhook_with_telegram(bot_api, settings, capsys):
    settings.SITE_URL = "https://status.example.com"

    call_command("telegram_webhook")

    (request,) = bot_api.received
    assert request.path == f"/bot{TOKEN}/setWebhook"
    assert request.json == {
        "url": "https://status.example.com/telegram/webhook/",
        "secret_token": SECRET,
        "allowed_updates": ["message"],
    }
    assert "https://status.example.com/telegram/webhook/" in capsys.readouterr().out


def test_the_command_says_what_is_wrong(bot_api, settings):
    with pytest.raises(CommandError, match="posts updates only to https"):
        call_command("telegram_webhook")
    settings.SITE_URL = "https://status.example.com"
    settings.TELEGRAM_BOT_TOKEN = "1:wrong"
    with pytest.raises(CommandError, match=r"refused setWebhook \(401: Unauthorized\)"):
        call_command("telegram_webhook")
    settings.TELEGRAM_BOT_USERNAME = ""
    with pytest.raises(CommandError, match="Set TELEGRAM_BOT_USERNAME in the environment"):
        call_command("telegram_webhook")
