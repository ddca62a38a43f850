"""Matrix: one m.room.message per notice in each configured room, threaded per incident.

Configured by MATRIX_HOMESERVER_URL, MATRIX_ACCESS_TOKEN (or MATRIX_ACCESS_TOKEN_FILE) and
MATRIX_ROOM_IDS (ids of rooms the account has joined); off while any is unset. Each room is a
delivery of its own, so a room that refuses holds up none of the others.

The first notice about an incident or maintenance starts a thread in each room; every later
one goes into it (an m.thread relation to the first message, with a reply to the newest one
as the fallback for clients without threads). The transaction id in the URL comes from the
delivery: a retry after a lost answer is the same request, and the homeserver answers it with
the event it already sent instead of sending it again (client-server API v3).
"""

from __future__ import annotations

import html
import json
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings

from incidents import timefmt
from incidents.markup import plain_paragraphs, render_markdown
from notifier.channels.base import Channel, TransportError
from notifier.channels.social import wait_for_unsent
from notifier.models import Delivery, DeliveryState, Notice
from notifier.notice_text import notice_details, notice_text

if TYPE_CHECKING:
    import requests

SEND_PATH = "/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"
# Enough of an answer for an event id or an error; a homeserver sends no more.
ANSWER_BYTES = 4096
# Matrix refuses events over 65,536 bytes with their envelope: the content stays well inside.
CONTENT_BYTES = 32_000
# The HTML the Matrix spec lets clients show (m.room.message, "m.text" formatted bodies).
MATRIX_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip


@dataclass(frozen=True)
class Message:
    """A notice's words: `text` plain, `html` formatted, the update's body apart from both."""

    head: str
    body: str
    body_html: str
    tail: tuple[str, ...]
    url: str

    def content(self) -> dict[str, Any]:
        plain = "\n\n".join(part for part in (self.head, self.body, "\n".join(self.tail)) if part)
        formatted = (
            f"<p><strong>{html.escape(self.head)}</strong></p>\n{self.body_html}\n"
            + "".join(f"<p>{html.escape(line)}</p>\n" for line in self.tail[:-1])
            + f'<p><a href="{html.escape(self.url)}">{html.escape(self.url)}</a></p>'
        )
        return {
            "msgtype": "m.text",
            "body": plain,
            "format": "org.matrix.custom.html",
            "formatted_body": sanitised(formatted),
        }


def sanitised(markup: str) -> str:
    """Only the tags and link schemes the Matrix spec names; the text of any other tag is kept."""
    import nh3  # where used: see notifier/channels/social.py

    return nh3.clean(
        markup,
        tags=MATRIX_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )


def message(notice: Notice) -> Message:
    """Status, title, the time with its zone, the update, what it affects, and the link."""
    text = notice_text(notice)
    tail = [*(detail.line for detail in notice_details(notice, text)), text.url]
    return Message(
        head=f"{text.headline} ({timefmt.stamp(text.posted_at)})",
        body=text.body.strip(),
        body_html=render_markdown(text.body_markdown),
        tail=tuple(tail),
        url=text.url,
    )


def bounded_content(notice: Notice) -> dict[str, Any]:
    """The message content, its update cut (and then shown unformatted) until it fits."""
    words = message(notice)
    content = words.content()
    fixed = encoded_size(replace(words, body="", body_html="").content())
    while (size := encoded_size(content)) > CONTENT_BYTES and words.body:
        # Keep the share of the update that fits, a little less: escapes are uneven.
        keep = int(len(words.body) * (CONTENT_BYTES - fixed) / (size - fixed) * 0.95)
        body = words.body[:keep].rstrip() + "…" if keep > 0 else ""
        words = replace(words, body=body, body_html=plain_paragraphs(body))
        content = words.content()
    return content


def encoded_size(content: dict[str, Any]) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode())


def transaction_id(delivery: Delivery) -> str:
    """The same on every try of a delivery; new when staff send a failed one again."""
    return f"statuspage-{delivery.pk}-{delivery.created_at.timestamp():.0f}"


def send_url(room_id: str, txn_id: str) -> str:
    path = SEND_PATH.format(room=quote(room_id, safe=""), txn=quote(txn_id, safe=""))
    return settings.MATRIX_HOMESERVER_URL + path


def thread_relation(delivery: Delivery) -> dict[str, Any] | None:
    """The m.thread relation to this room's first message about the incident, or None.

    Raises a transient TransportError while an earlier message of the thread is unsent, so
    the room shows the updates in the order staff published them.
    """
    earlier = Delivery.objects.filter(
        delivery.notice.same_thread("notice__"),
        channel=delivery.channel,
        target=delivery.target,
        notice_id__lt=delivery.notice_id,
    )
    wait_for_unsent(earlier)
    # One that failed for good is left out: the thread goes on from those the room has.
    sent = earlier.filter(state=DeliveryState.SENT).exclude(reference="").order_by("notice_id")
    events = sent.values_list("reference", flat=True)
    first, newest = events.first(), events.last()
    if first is None or newest is None:
        return None
    return {
        "rel_type": "m.thread",
        "event_id": first,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": newest},
    }


def matrix_error(answer: bytes) -> tuple[str, str, dict[str, Any]]:
    """(errcode, error, the whole JSON) of an answer; empty when it is not Matrix's JSON."""
    try:
        said = json.loads(answer)
    except ValueError:
        return "", answer.decode("utf-8", "replace").strip()[:200], {}
    if not isinstance(said, dict):
        return "", "", {}
    return str(said.get("errcode", ""))[:60], str(said.get("error", ""))[:200], said


def retry_after(response: requests.Response, said: dict[str, Any]) -> float | None:
    """Seconds to wait: retry_after_ms from the body, else a Retry-After header in seconds."""
    milliseconds = said.get("retry_after_ms")
    if isinstance(milliseconds, int | float) and milliseconds >= 0:
        return milliseconds / 1000
    header = response.headers.get("Retry-After", "")
    return float(header) if header.isdigit() else None


def outcome(response: requests.Response, answer: bytes, room: str) -> str:
    """The event id of a 2xx answer; any other answer raised as the error staff read."""
    code = response.status_code
    errcode, error, said = matrix_error(answer)
    if 200 <= code < 300:
        event_id = said.get("event_id")
        if isinstance(event_id, str) and event_id.startswith("$"):
            return event_id[:200]
        raise TransportError(f"Matrix answered {code} without an event id.", permanent=False)
    detail = f"{code} {errcode}".strip() + (f": {error}" if error else "")
    if code == 429:
        wait = retry_after(response, said)
        raise TransportError(f"Matrix rate limit ({detail}).", permanent=False, retry_after=wait)
    if code >= 500:
        raise TransportError(f"The Matrix homeserver is failing ({detail}).", permanent=False)
    if code == 401 or errcode == "M_UNKNOWN_TOKEN":
        raise TransportError(
            f"The homeserver does not accept MATRIX_ACCESS_TOKEN ({detail}): "
            "log the account in again and set the new token.",
            permanent=True,
        )
    if code == 403:
        raise TransportError(
            f"Matrix refused to post in {room} ({detail}): the account must have joined the "
            "room and be allowed to send messages in it.",
            permanent=True,
        )
    raise TransportError(f"Matrix refused the message for {room} ({detail}).", permanent=True)


class MatrixChannel(Channel):
    name = "matrix"
    label = "Matrix"

    def settings_needed(self) -> dict[str, str]:
        return {
            "MATRIX_HOMESERVER_URL": settings.MATRIX_HOMESERVER_URL,
            "MATRIX_ACCESS_TOKEN": settings.MATRIX_ACCESS_TOKEN,
            "MATRIX_ROOM_IDS": ",".join(settings.MATRIX_ROOM_IDS),
        }

    def is_configured(self) -> bool:
        return all(self.settings_needed().values())

    def why_off(self) -> str:
        missing = [name for name, value in self.settings_needed().items() if not value]
        return f"Set {', '.join(missing)} in the environment." if missing else ""

    def targets(self, notice: Notice) -> list[str]:
        return list(settings.MATRIX_ROOM_IDS)

    def preview(self, notice: Notice) -> str:
        return str(bounded_content(notice)["body"])

    def session(self) -> AbstractContextManager[Any]:
        import requests  # where used: see notifier/channels/social.py

        session = requests.Session()
        session.headers.update(
            {
                "Authorization": f"Bearer {settings.MATRIX_ACCESS_TOKEN}",
                "Content-Type": "application/json",
                "User-Agent": f"{settings.SITE_NAME} ({settings.SITE_URL})",
            }
        )
        return session

    def send(self, delivery: Delivery, session: Any) -> str:
        import requests
        import urllib3

        content = bounded_content(delivery.notice)
        if relation := thread_relation(delivery):
            content["m.relates_to"] = relation
        try:
            with session.put(
                send_url(delivery.target, transaction_id(delivery)),
                data=json.dumps(content, ensure_ascii=False).encode(),
                timeout=settings.OUTBOUND_HTTP_TIMEOUT,
                allow_redirects=False,
                stream=True,
            ) as response:
                answer = response.raw.read(ANSWER_BYTES, decode_content=True) or b""
        except (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL) as error:
            raise TransportError(f"MATRIX_HOMESERVER_URL: {error}", permanent=True) from error
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
            # Timeouts and lost connections, while sending or reading the answer.
            raise TransportError(f"Cannot reach Matrix: {error!r}", permanent=False) from error
        return outcome(response, answer, delivery.target)
