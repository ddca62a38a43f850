"""What the Telegram bot does with the messages readers send it: /start, /stop, and help.

Telegram posts each update to the webhook (notifier/telegram_views.py); the bot's answer goes
back as the webhook's response body (a sendMessage call Telegram makes for us), so no request
leaves while Telegram waits. Only private chats count: a deep link's /start comes from one, and
in a group anyone could /stop for everybody. Whatever does not look like Telegram's Update is
ignored.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.links import absolute
from incidents.models import Component
from notifier.channels.contact import forget, manage_url
from notifier.channels.telegram import escape, escape_attribute
from notifier.manage import add_contact
from notifier.models import ContactPoint, Subscriber
from notifier.signed_links import BadToken
from notifier.telegram_links import StartWish, key_hash, read_payload

CHANNEL = "telegram"
# Telegram's chat ids fit in 52 bits; anything else is not an id.
LARGEST_CHAT_ID = 2**52
# Marked only: translated when the reply is written, in the language active then.
GONE = gettext_noop(
    "The subscription this link was made for no longer exists. Please get a new link."
)
NO_SERVICES = gettext_noop("The services this link names no longer exist. Please get a new link.")


def link(url: str, text: str) -> str:
    return f'<a href="{escape_attribute(url)}">{escape(text)}</a>'


def subscribe_link() -> str:
    return link(absolute(reverse("subscribe_telegram")), _("the status page"))


def chat_of(update: Any) -> tuple[int, str] | None:
    """(chat id, text) of a text message in a private chat; None for anything else."""
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict):
        return None
    chat, text = message.get("chat"), message.get("text")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(text, str):
        return None
    chat_id = chat.get("id")
    if type(chat_id) is not int or not 0 < abs(chat_id) < LARGEST_CHAT_ID:
        return None
    return chat_id, text


def reply_to(update: Any) -> dict[str, Any] | None:
    """The sendMessage call answering this update, or None to say nothing."""
    said = chat_of(update)
    if said is None:
        return None
    chat_id, text = said
    command, _, argument = text.strip().partition(" ")
    command = command.split("@", 1)[0].lower()
    address = str(chat_id)
    if command == "/start":
        answer = start(address, argument.strip())
    elif command == "/stop":
        answer = stop(address)
    else:
        answer = help_text(address)
    return {
        "method": "sendMessage",
        "chat_id": chat_id,
        "text": answer,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }


def subscriber_of(subscriber_id: int, wish: StartWish) -> Subscriber:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not hmac.compare_digest(key_hash(subscriber.key), wish.key_hash):
        raise BadToken(GONE)
    return subscriber


def existing_components(wish: StartWish) -> list[int]:
    ids = list(Component.objects.filter(pk__in=wish.component_ids).values_list("pk", flat=True))
    if wish.component_ids and not ids:
        # Never widen a choice to every service because the chosen ones were deleted.
        raise BadToken(NO_SERVICES)
    return ids


def start(address: str, payload: str) -> str:
    if not payload:
        return _(
            "To get %(site)s notices here, choose the services on %(status_page)s and follow "
            "the link it gives you."
        ) % {"site": escape(settings.SITE_NAME), "status_page": subscribe_link()}
    try:
        wish = read_payload(payload)
        if wish.subscriber_id is not None:
            point = add_contact(
                CHANNEL,
                address,
                component_ids=[],
                subscriber=subscriber_of(wish.subscriber_id, wish),
            )
        else:
            point = add_contact(CHANNEL, address, component_ids=existing_components(wish))
    except BadToken as error:
        # The token's own words (this module's and telegram_links'), in the active language.
        said = escape(_(str(error)))
        return _("%(problem)s You can get one on %(status_page)s.") % {
            "problem": said,
            "status_page": subscribe_link(),
        }
    return welcome(point)


def welcome(point: ContactPoint) -> str:
    names = list(point.subscriber.components.values_list("name", flat=True))
    about = ", ".join(names) if names else _("every service")
    first = _(
        "You will get %(site)s notices here about %(services)s: when an incident starts, at "
        "each update and when it is resolved, and before and after maintenance."
    ) % {"site": escape(settings.SITE_NAME), "services": escape(about)}
    second = _(
        "Send /stop to stop them. %(your_subscription)s shows what you get and lets you change it."
    ) % {"your_subscription": link(manage_url(point.subscriber), _("Your subscription"))}
    return f"{first}\n\n{second}"


def stop(address: str) -> str:
    point = ContactPoint.objects.filter(channel=CHANNEL, address=address).first()
    if point is None:
        return no_notices()
    forget(point, "the reader sent /stop")
    return _(
        "You will get no more notices here, and this chat is forgotten. To subscribe again, "
        "visit %(status_page)s."
    ) % {"status_page": subscribe_link()}


def no_notices() -> str:
    return _("This chat gets no notices. To subscribe, visit %(status_page)s.") % {
        "status_page": subscribe_link()
    }


def help_text(address: str) -> str:
    point = ContactPoint.objects.filter(channel=CHANNEL, address=address).first()
    if point is None:
        return no_notices()
    return _(
        "This chat gets %(site)s notices. Send /stop to stop them; %(your_subscription)s lets "
        "you change them."
    ) % {
        "site": escape(settings.SITE_NAME),
        "your_subscription": link(manage_url(point.subscriber), _("your subscription")),
    }
