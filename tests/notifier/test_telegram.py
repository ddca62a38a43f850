"""Notices reach Telegram chats: a fake Bot API on loopback gets the exact requests."""

from __future__ import annotations

import html
import re

import pytest

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch
from notifier.channels.contact import manage_url
from notifier.channels.telegram import TEXT_LIMIT, utf16_length
from notifier.manage import add_contact
from notifier.models import ContactPoint, Delivery, DeliveryState, Notice, Subscriber
from notifier.registry import channel_named
from tests.factories import make_component, oslo, schedule_maintenance, utc
from tests.notifier.loopback import HANG
from tests.notifier.telegram_bot_api import BLOCKED, TOKEN, BotApi, bot_api

pytestmark = [pytest.mark.django_db]
__all__ = ["bot_api"]  # the fixture, used by name

ANNA, BJORN = 111222333, 444555666
SEND = f"/bot{TOKEN}/sendMessage"


@pytest.fixture(autouse=True)
def telegram_bot(settings, bot_api: BotApi):
    settings.TELEGRAM_API_URL = bot_api.url
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_BOT_USERNAME = "RunboxStatusBot"
    settings.TELEGRAM_WEBHOOK_SECRET = "s3cret-webhook_token"
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = settings.MATRIX_ACCESS_TOKEN = ""
    return settings


def chat(chat_id: int) -> ContactPoint:
    return add_contact("telegram", str(chat_id), component_ids=[])


def open_ddos(body: str = "Our email services are inaccessible; we look *where*.") -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body=body,
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )


def delivery_of(notice: Notice, point: ContactPoint) -> Delivery:
    return Delivery.objects.get(notice=notice, channel="telegram", target=str(point.pk))


def visible(text: str) -> str:
    """What a reader sees of Bot API HTML: the tags gone, the entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_an_incident_is_one_reply_chain_in_each_chat(
    bot_api, eager_celery, django_capture_on_commit_callbacks
):
    anna, bjorn = chat(ANNA), chat(BJORN)
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()
    with django_capture_on_commit_callbacks(execute=True):
        actions.post_incident_update(
            incident,
            status=IncidentStatus.IDENTIFIED,
            body="Filtering ports < 1024 & > 0.",
            posted_at=oslo(2013, 1, 25, 1, 45),
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.resolve_incident(
            incident, body="Mail flows again.", posted_at=oslo(2013, 1, 25, 3, 0)
        )

    assert [(r.method, r.path) for r in bot_api.received] == [("POST", SEND)] * 6
    for request in bot_api.received:
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == "Runbox Status (http://127.0.0.1:8000)"
    link = f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    first = bot_api.received[0].json
    assert first == {
        "chat_id": ANNA,
        "text": "<b>Email services down because of DDoS: investigating "
        "(Fri 25 Jan 2013, 00:15 CET)</b>\n\n"
        "Our email services are inaccessible; we look where.\n\n"
        "Affects: IMAP\n\n"
        f'<a href="{link}">{link}</a>\n'
        f'<a href="{manage_url(anna.subscriber)}">Change or stop these notices</a>',
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    assert bot_api.received[1].json["chat_id"] == BJORN
    second = bot_api.received[2].json
    assert second["chat_id"] == ANNA
    assert second["text"].startswith(
        "<b>Email services down because of DDoS: identified (Fri 25 Jan 2013, 01:45 CET)</b>"
        "\n\nFiltering ports &lt; 1024 &amp; &gt; 0.\n\n"
    )
    # Every update replies to the chat's first message about the incident.
    for request in bot_api.received[2:]:
        assert request.json["reply_parameters"] == {
            "message_id": 100,
            "allow_sending_without_reply": True,
        }
    assert [m for m, _ in bot_api.chats[ANNA]] == [100, 101, 102]
    assert [
        (d.target, d.state, d.reference)
        for d in Delivery.objects.filter(channel="telegram").order_by("id")
    ] == [(str(p.pk), "sent", ref) for ref in ("100", "101", "102") for p in (anna, bjorn)]


def test_maintenance_replies_too_and_says_its_window_in_every_zone(bot_api):
    anna = chat(ANNA)
    work = schedule_maintenance(
        start=utc(2040, 1, 12, 5, 30), end=utc(2040, 1, 12, 7, 30), at=utc(2040, 1, 1)
    )
    actions.cancel_maintenance(work, body="Not needed after all.", posted_at=utc(2040, 1, 2))

    for notice in Notice.objects.filter(maintenance=work).order_by("id"):
        dispatch.run([delivery_of(notice, anna).pk])

    first, second = (request.json for request in bot_api.received)
    window = "Window: Thu 12 Jan 2040, 06:30–08:30 CET / 05:30–07:30 UTC / 00:30–02:30 EST"
    assert f"\n\n{window} / 21:30–23:30 PST Wed 11 Jan\n\n<a href=" in first["text"]
    assert "reply_parameters" not in first
    assert second["reply_parameters"]["message_id"] == 100


def test_a_failing_bot_api_is_tried_again_and_the_chat_gets_one_message(
    bot_api, eager_celery, django_capture_on_commit_callbacks
):
    anna = chat(ANNA)
    bot_api.answers[ANNA] = [(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    delivery = delivery_of(Notice.objects.get(incident=incident), anna)
    assert (delivery.state, delivery.attempts, delivery.reference) == ("sent", 2, "100")
    assert [r.path for r in bot_api.received] == [SEND, SEND]
    assert bot_api.received[0].body == bot_api.received[1].body
    assert len(bot_api.chats[ANNA]) == 1


def test_a_rate_limit_waits_as_long_as_telegram_says_then_sends_once(bot_api, settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 1
    anna = chat(ANNA)
    limited = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 42",
        "parameters": {"retry_after": 42},
    }
    bot_api.answers[ANNA] = [(429, limited)]
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([delivery_of(notice, anna).pk])

    delivery = delivery_of(notice, anna)
    assert delivery.state == DeliveryState.RETRYING
    assert result.retry_in == pytest.approx(42, abs=0.5)
    assert delivery.last_error == ("Telegram rate limit (429: Too Many Requests: retry after 42).")
    dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert len(bot_api.chats[ANNA]) == 1


def test_a_chat_that_blocked_the_bot_is_forgotten_and_the_others_still_get_it(
    bot_api, eager_celery, django_capture_on_commit_callbacks
):
    anna = chat(ANNA)
    reader = Subscriber.objects.create(email="bjorn@example.com")
    add_contact("telegram", str(BJORN), component_ids=[], subscriber=reader)
    carl = chat(777888999)
    bot_api.answers[ANNA] = [BLOCKED]
    deactivated = {"ok": False, "error_code": 403, "description": "Forbidden: user is deactivated"}
    bot_api.answers[BJORN] = [(403, deactivated)]

    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    notice = Notice.objects.get(incident=incident)
    blocked = delivery_of(notice, anna)
    assert (blocked.state, blocked.attempts) == (DeliveryState.FAILED, 1)
    assert blocked.last_error == (
        "The chat is gone (403: Forbidden: bot was blocked by the user); "
        "the subscriber was removed."
    )
    assert list(ContactPoint.objects.filter(channel="telegram")) == [carl]
    # Anna had nothing else and is gone; Bjørn keeps his email subscription.
    assert list(Subscriber.objects.all()) == [reader, carl.subscriber]
    assert delivery_of(notice, carl).state == DeliveryState.SENT
    assert len(bot_api.received) == 3 and len(bot_api.chats[777888999]) == 1


def test_a_chat_telegram_does_not_know_is_forgotten_other_refusals_keep_it(bot_api):
    anna, bjorn = chat(ANNA), chat(BJORN)
    not_found = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    unparsable = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse entities: unsupported start tag",
    }
    bot_api.answers[ANNA] = [(400, not_found)]
    bot_api.answers[BJORN] = [(400, unparsable)]
    notice = Notice.objects.get(incident=open_ddos())

    dispatch.run([delivery_of(notice, anna).pk])
    dispatch.run([delivery_of(notice, bjorn).pk])

    assert not ContactPoint.objects.filter(pk=anna.pk).exists()
    refused = delivery_of(notice, bjorn)
    assert refused.state == DeliveryState.FAILED
    assert refused.last_error == (
        "Telegram refused the message (400: Bad Request: can't parse entities: "
        "unsupported start tag)."
    )
    assert ContactPoint.objects.filter(pk=bjorn.pk).exists()


def test_a_token_telegram_does_not_know_fails_for_good_and_forgets_nobody(bot_api, settings):
    settings.TELEGRAM_BOT_TOKEN = "987:revoked"
    anna = chat(ANNA)
    notice = Notice.objects.get(incident=open_ddos())

    dispatch.run([delivery_of(notice, anna).pk])

    delivery = delivery_of(notice, anna)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error.startswith("Telegram does not accept TELEGRAM_BOT_TOKEN (401")
    assert bot_api.received[0].path == "/bot987:revoked/sendMessage"
    assert ContactPoint.objects.filter(pk=anna.pk).exists()


def test_a_bot_api_that_does_not_answer_in_time_is_tried_later_and_the_token_is_not_shown(
    bot_api, settings
):
    settings.OUTBOUND_HTTP_TIMEOUT = 0.3
    anna = chat(ANNA)
    bot_api.answers[ANNA] = [HANG]
    notice = Notice.objects.get(incident=open_ddos())

    result = dispatch.run([delivery_of(notice, anna).pk])
    bot_api.release.set()

    delivery = delivery_of(notice, anna)
    assert result.retry_in is not None
    assert delivery.state == DeliveryState.RETRYING
    assert delivery.last_error.startswith("Cannot reach Telegram: ")
    assert "timed out" in delivery.last_error
    assert TOKEN not in delivery.last_error and TOKEN.split(":")[1] not in delivery.last_error


def test_a_long_update_is_cut_to_what_one_message_holds(bot_api):
    anna = chat(ANNA)
    body = "<script>alert(1)</script> Filtering 🛡 & waiting " * 400
    incident = open_ddos()
    update = actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body=body)
    notices = list(Notice.objects.filter(incident=incident).order_by("id"))
    for notice in notices:
        dispatch.run([delivery_of(notice, anna).pk])

    text = bot_api.received[-1].json["text"]
    shown = visible(text)
    assert TEXT_LIMIT - 10 < utf16_length(shown) <= TEXT_LIMIT
    assert "Filtering 🛡 &amp; waiting" in text and "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert shown.endswith(
        f"…\n\nAffects: IMAP\n\nhttp://127.0.0.1:8000/incidents/{incident.pk}/\n"
        "Change or stop these notices"
    )
    assert set(re.findall(r"</?(\w+)", text)) == {"b", "a"}
    assert Notice.objects.get(incident_update=update)


def test_staff_see_the_message_as_readers_do(bot_api):
    incident = open_ddos()
    preview = channel_named("telegram").preview(Notice.objects.get(incident=incident))
    assert preview == (
        "Email services down because of DDoS: investigating (Fri 25 Jan 2013, 00:15 CET)\n\n"
        "Our email services are inaccessible; we look where.\n\nAffects: IMAP\n\n"
        f"http://127.0.0.1:8000/incidents/{incident.pk}/\nChange or stop these notices"
    )


def test_without_settings_the_channel_is_off_and_the_publish_goes_on(
    bot_api, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_BOT_USERNAME = settings.TELEGRAM_WEBHOOK_SECRET = ""
    chat(ANNA)

    assert channel_named("telegram").why_off() == (
        "Set TELEGRAM_BOT_USERNAME, TELEGRAM_WEBHOOK_SECRET in the environment."
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_ddos()

    assert "telegram" not in Notice.objects.get(incident=incident).channels
    assert not Delivery.objects.filter(channel="telegram").exists()
    assert bot_api.received == []


def test_a_very_long_list_of_services_still_leaves_room_for_the_update(bot_api):
    anna = chat(ANNA)
    many = {
        make_component(f"Mail service {n:03}"): ComponentStatus.MAJOR_OUTAGE for n in range(300)
    }
    incident = actions.open_incident(
        title="Everything down", body="We are on it.", impact="critical", component_statuses=many
    )

    dispatch.run([delivery_of(Notice.objects.get(incident=incident), anna).pk])

    shown = visible(bot_api.received[0].json["text"])
    assert "\n\nWe are on it.\n\nAffects: Mail service 000, " in shown
    assert utf16_length(shown) < 1400
