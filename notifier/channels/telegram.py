"""Telegram: a bot sends each notice to the private chats of readers who started it.

Configured by TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME and TELEGRAM_WEBHOOK_SECRET; off while
any is unset. Readers subscribe through a signed deep link (notifier/telegram_links.py) and the
bot's /start (notifier/telegram_bot.py); each chat is a contact point, its id the address.

Every message is Bot API HTML: only <b> and <a> of the tags Telegram allows, everything else
escaped. The updates of one incident or maintenance reply to the first message the chat got
about it. A chat that blocked the bot (403) or no longer exists is forgotten.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from incidents import timefmt
from notifier.channels.base import TransportError
from notifier.channels.contact import ContactPointChannel, forget, manage_url
from notifier.channels.social import wait_for_unsent
from notifier.models import ContactPoint, Delivery, DeliveryState, Notice
from notifier.notice_text import notice_details, notice_text

if TYPE_CHECKING:
    import requests

# What Telegram accepts in one message, in UTF-16 code units after the entities are parsed.
TEXT_LIMIT = 4096
ANSWER_BYTES = 4096
# A title or a list of services never crowds the update out of the message.
LINE_LIMIT = 1000
PLACEHOLDER_MANAGE_URL = "https://status.example.com/subscription/…/"


def manage_text() -> str:
    """What the link to the reader's own page says, in the active language."""
    return _("Change or stop these notices")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, room: int) -> str:
    """`text` cut to `room` UTF-16 code units, an ellipsis marking the cut."""
    if utf16_length(text) <= room:
        return text
    kept, used = [], 1  # the ellipsis
    for char in text:
        used += utf16_length(char)
        if used > room:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def escape(text: str) -> str:
    """Text for Telegram's HTML: its only required escapes (the Bot API's formatting options)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;")


@dataclass(frozen=True)
class Message:
    """A notice's words for Telegram; the reader's own link is added per chat."""

    head: str
    body: str
    tail: tuple[str, ...]
    url: str

    def plain(self, body: str | None = None) -> str:
        parts = [self.head, self.body if body is None else body, "\n".join(self.tail)]
        return "\n\n".join(part for part in [*parts, f"{self.url}\n{manage_text()}"] if part)

    def html(self, manage: str) -> str:
        tail = "\n".join(escape(line) for line in self.tail)
        link = f'<a href="{escape_attribute(self.url)}">{escape(self.url)}</a>'
        own = f'<a href="{escape_attribute(manage)}">{escape(manage_text())}</a>'
        parts = [f"<b>{escape(self.head)}</b>", escape(self.body), tail, f"{link}\n{own}"]
        return "\n\n".join(part for part in parts if part)


def message(notice: Notice) -> Message:
    """Status, title and time with its zone; the update, cut to fit; what it affects; links."""
    text = notice_text(notice)
    words = Message(
        head=cut(f"{text.headline} ({timefmt.stamp(text.posted_at)})", LINE_LIMIT),
        body=text.body.strip(),
        tail=tuple(cut(detail.line, LINE_LIMIT) for detail in notice_details(notice, text)),
        url=text.url,
    )
    room = TEXT_LIMIT - utf16_length(words.plain(body="")) - 2  # the break before the body
    return Message(words.head, cut(words.body, max(room, 0)), words.tail, words.url)


def api_url(method: str) -> str:
    return f"{settings.TELEGRAM_API_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/{method}"


def without_token(text: str) -> str:
    """An error text as staff may read it: the bot token, part of every URL, taken out."""
    token = settings.TELEGRAM_BOT_TOKEN
    return text.replace(token, "<TELEGRAM_BOT_TOKEN>") if token else text


def first_message(delivery: Delivery) -> str | None:
    """The chat's first message about this incident or window, to reply to; None if none.

    Raises a transient TransportError while an earlier message of the thread is unsent, so
    the chat gets the updates in the order staff published them.
    """
    earlier = Delivery.objects.filter(
        delivery.notice.same_thread("notice__"),
        channel=delivery.channel,
        target=delivery.target,
        notice_id__lt=delivery.notice_id,
    )
    wait_for_unsent(earlier)
    sent = earlier.filter(state=DeliveryState.SENT).exclude(reference="").order_by("notice_id")
    return sent.values_list("reference", flat=True).first()


def chat_id(address: str) -> int | str:
    return int(address) if address.lstrip("-").isdigit() else address


def answer_of(answer: bytes) -> dict[str, Any]:
    try:
        said = json.loads(answer)
    except ValueError:
        return {"description": answer.decode("utf-8", "replace").strip()[:200]}
    return said if isinstance(said, dict) else {}


def outcome(response: requests.Response, answer: bytes, point: ContactPoint) -> str:
    """The message id of a successful send; any other answer raised as the error staff read."""
    code = response.status_code
    said = answer_of(answer)
    result = said.get("result")
    if 200 <= code < 300 and said.get("ok") is True and isinstance(result, dict):
        message_id = result.get("message_id")
        if isinstance(message_id, int):
            return str(message_id)
    detail = f"{code}: {str(said.get('description', ''))[:200]}".rstrip(": ")
    if 200 <= code < 300:
        raise TransportError(f"Telegram answered {code} without a message id.", permanent=False)
    if code == 429:
        parameters = said.get("parameters")
        wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
        wait = float(wait) if isinstance(wait, int | float) and wait >= 0 else None
        raise TransportError(f"Telegram rate limit ({detail}).", permanent=False, retry_after=wait)
    if code >= 500:
        raise TransportError(f"Telegram is failing ({detail}).", permanent=False)
    if code == 401 or code == 404:
        raise TransportError(
            f"Telegram does not accept TELEGRAM_BOT_TOKEN ({detail}): take the token BotFather "
            "gives for the bot.",
            permanent=True,
        )
    gone = code == 403 or "chat not found" in str(said.get("description", "")).lower()
    if gone:
        forget(point, f"Telegram answered {detail}")
        raise TransportError(
            f"The chat is gone ({detail}); the subscriber was removed.", permanent=True
        )
    raise TransportError(f"Telegram refused the message ({detail}).", permanent=True)


def call(session: requests.Session, method: str, body: dict[str, Any]) -> tuple[Any, bytes]:
    """POST one Bot API method; (the response, the start of its answer). TransportError when
    Telegram cannot be reached, with the token kept out of the message."""
    import requests
    import urllib3

    try:
        with session.post(
            api_url(method),
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            timeout=settings.OUTBOUND_HTTP_TIMEOUT,
            allow_redirects=False,
            stream=True,
        ) as response:
            return response, response.raw.read(ANSWER_BYTES, decode_content=True) or b""
    except (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL) as error:
        raise TransportError(without_token(f"TELEGRAM_API_URL: {error}"), permanent=True) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        # Timeouts and lost connections, while sending or reading the answer.
        message = without_token(f"Cannot reach Telegram: {error!r}")
        raise TransportError(message, permanent=False) from None


class TelegramChannel(ContactPointChannel):
    name = "telegram"
    label = "Telegram subscribers"
    public_label = "Telegram"
    subscribe_url_name = "subscribe_telegram"

    def __init__(self) -> None:
        super().__init__()
        self._messages: dict[tuple[int, str | None], Message] = {}

    def settings_needed(self) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": settings.TELEGRAM_BOT_TOKEN,
            "TELEGRAM_BOT_USERNAME": settings.TELEGRAM_BOT_USERNAME,
            "TELEGRAM_WEBHOOK_SECRET": settings.TELEGRAM_WEBHOOK_SECRET,
        }

    def is_configured(self) -> bool:
        return all(self.settings_needed().values())

    def why_off(self) -> str:
        missing = [name for name, value in self.settings_needed().items() if not value]
        return f"Set {', '.join(missing)} in the environment." if missing else ""

    def message(self, notice: Notice) -> Message:
        """Rendered once per notice and language for the whole batch of chats."""
        key = (notice.pk, translation.get_language())
        if key not in self._messages:
            self._messages[key] = message(notice)
        return self._messages[key]

    def preview(self, notice: Notice) -> str:
        return message(notice).plain()

    def session(self) -> AbstractContextManager[Any]:
        import requests  # where used: see notifier/channels/social.py

        session = requests.Session()
        session.headers["User-Agent"] = f"{settings.SITE_NAME} ({settings.SITE_URL})"
        return session

    def send(self, delivery: Delivery, session: Any) -> str:
        point = self.contact_point(delivery)
        body: dict[str, Any] = {
            "chat_id": chat_id(point.address),
            "text": self.message(delivery.notice).html(manage_url(point.subscriber)),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if (first := first_message(delivery)) and first.isdigit():
            body["reply_parameters"] = {
                "message_id": int(first),
                "allow_sending_without_reply": True,
            }
        response, answer = call(session, "sendMessage", body)
        return outcome(response, answer, point)
