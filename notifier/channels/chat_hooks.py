"""What Slack, Microsoft Teams and Discord incoming webhooks share: the words, posting, answers.

A reader gives an incoming-webhook URL of one of these services (a contact point of that
channel, confirmed by a code posted to it first). Each notice is one message in the
service's own format (slack.py, teams.py, discord.py build it from the same `ChatWords`),
posted only through notifier/outbound.py with the subscriber policy: https to public
addresses, checked after resolving at send time, bounded in time and answer.

Answers: 2xx is sent. 429 waits as long as the service asks (Retry-After, or Discord's
`retry_after` in the JSON), 5xx, timeouts and lost connections are retried by the
dispatcher. 404 and 410, or an error naming a deleted hook or channel (Slack's
`no_service`, `channel_not_found`, `channel_is_archived`; Discord's code 10015, "Unknown
Webhook"), mean the hook is gone: the contact point is forgotten and the delivery fails for
good. Any other answer fails it for good, a redirect included (never followed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from incidents import timefmt
from incidents.links import absolute
from notifier import outbound
from notifier.channels.base import ExpandingChannel, TransportError, recent_messages
from notifier.channels.contact import ContactPointChannel, forget
from notifier.models import ContactPoint, Delivery, Notice, NoticeKind
from notifier.notice_text import notice_details, notice_text
from notifier.outbound import Answer
from notifier.signed_links import ManageSigner, manage_token

# Error names the services give for a hook or channel that no longer exists.
GONE_ERRORS = {"no_service", "channel_not_found", "channel_is_archived", "10015"}
ANSWER_SHOWN = 200
# Stands in for each reader's own link in a message encoded once; URL and JSON safe.
OWN_PAGE_MARKER = "https://own-page.invalid/7d41c9"
TOKEN_MARKER = "TOKEN-3e9a51"
# A chat message's facts lead with what is affected (Detail.key, the same in every language).
FACT_ORDER = ("affects", "next_update", "window")


@dataclass(frozen=True)
class ChatWords:
    """A notice's parts as every chat service shows them; `tone` picks the colour."""

    headline: str
    title: str
    status: str
    body: str
    url: str
    posted_at: datetime
    stamp: str  # "Fri 25 Jan 2013, 00:45 CET"
    facts: tuple[tuple[str, str], ...]  # ("Affects", "IMAP, SMTP"), ("Next update", ...)
    tone: str  # resolved, maintenance, critical, major, minor or neutral
    link_label: str  # "View the incident"


def tone(notice: Notice) -> str:
    """What the message's colour says: resolved or done, maintenance, else the impact."""
    if notice.kind in (NoticeKind.INCIDENT_RESOLVED, NoticeKind.MAINTENANCE_COMPLETED):
        return "resolved"
    if notice.maintenance_id:
        return "maintenance"
    if notice.incident_id and notice.incident is not None:
        impact = notice.incident.impact
        return impact if impact in ("critical", "major", "minor") else "neutral"
    return "neutral"


def code_text(code: str) -> str:
    first = _("Your confirmation code for %(site)s notices: %(code)s") % {
        "site": settings.SITE_NAME,
        "code": code,
    }
    rest = _(
        "Enter it on the page where you gave this webhook. If nobody here asked for these "
        "notices, ignore this message: nothing more comes unless the code is entered."
    )
    return f"{first}\n{rest}"


def link_label(notice: Notice) -> str:
    """What the link to the notice's page says."""
    if notice.post_id:
        return _("View the post")
    if notice.maintenance_id:
        return _("View the maintenance")
    return _("View the incident")


def manage_label() -> str:
    """What the link to the reader's own page says."""
    return _("Change or stop these notices")


def chat_words(notice: Notice) -> ChatWords:
    text = notice_text(notice)
    details = sorted(notice_details(notice, text), key=lambda d: FACT_ORDER.index(d.key))
    return ChatWords(
        headline=text.headline,
        title=text.title,
        status=text.status,
        body=text.body.strip(),
        url=text.url,
        posted_at=text.posted_at,
        stamp=timefmt.stamp(text.posted_at),
        facts=tuple((detail.label, detail.value) for detail in details),
        tone=tone(notice),
        link_label=link_label(notice),
    )


def cut(text: str, limit: int) -> str:
    """`text` whole when it fits, else its start and an ellipsis, `limit` characters at most."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def encoded(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def manage_url_around(token: str) -> str:
    return absolute(reverse("manage_subscription", args=[token]))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class ChatHookChannel(ExpandingChannel, ContactPointChannel):
    """A chat service's incoming webhooks; subclasses give the format and the URL shape.

    Its deliveries are written by a worker a chunk at a time, as email's are (ExpandingChannel):
    a publish to 10,000 hooks writes one row.
    """

    public_label = "Slack, Teams or Discord"
    subscribe_url_name = "subscribe_chat"
    # Sent over one outbound Client a batch: hooks of one service share its host, and so a
    # kept connection.
    batch = True
    independent_targets = True
    service: ClassVar[str]  # "Slack"
    hosts: ClassVar[tuple[str, ...]]  # exact names, or ".suffix" for any name under it
    path_prefixes: ClassVar[tuple[str, ...]] = ("/",)
    where_to_find: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self._own_page: tuple[str, str] | None = None
        self._signer: ManageSigner | None = None
        self._headers: dict[str, str] = {}

    def is_configured(self) -> bool:
        return bool(settings.CHAT_WEBHOOKS_ENABLED)

    def why_off(self) -> str:
        return "" if self.is_configured() else "CHAT_WEBHOOKS_ENABLED is false."

    def message(self, words: ChatWords, manage: str) -> dict[str, Any]:
        raise NotImplementedError

    def code_message(self, code: str) -> dict[str, Any]:
        """The first message, carrying the confirmation code the reader enters on our page."""
        raise NotImplementedError

    @classmethod
    def looks_like_ours(cls, url: str) -> bool:
        """Whether `url` has the shape of this service's incoming webhooks."""
        host = host_of(url)
        path = urlsplit(url).path
        on_host = any(host == h or (h.startswith(".") and host.endswith(h)) for h in cls.hosts)
        return on_host and path.startswith(cls.path_prefixes)

    def audience_ids(self, notice: Notice) -> QuerySet[Any, int]:
        points = ContactPoint.objects.audience(self.name, notice.component_ids())
        return points.values_list("id", flat=True)

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        # Only what a post and forget() read: whole contact points and readers cost more.
        points = (
            ContactPoint.objects.select_related("subscriber")
            .only("id", "channel", "address", "subscriber", "subscriber__key")
            .filter(pk__any_of=[int(d.target) for d in deliveries])
        )
        self._points = {point.pk: point for point in points}
        self._signer = ManageSigner()
        self._headers = headers()
        self._own_page = None

    def session(self) -> AbstractContextManager[Any]:
        return outbound.Client()

    def preview(self, notice: Notice) -> str:
        manage = "(the reader's own page)"  # staff read the preview: not translated
        return json.dumps(self.message(chat_words(notice), manage), ensure_ascii=False, indent=2)

    def request(self, delivery: Delivery) -> tuple[str, bytes, dict[str, str]]:
        """The URL, body and headers of a delivery's post."""
        point = self.contact_point(delivery)
        if self._own_page is None:
            # reverse() once: each reader's link is this with their token in the middle.
            before, _, after = manage_url_around(TOKEN_MARKER).partition(TOKEN_MARKER)
            self._own_page = (before, after)
        before, after = self._own_page
        subscriber = point.subscriber
        token = manage_token(subscriber.pk, subscriber.key, self._signer)
        own_page = f"{before}{token}{after}".encode()
        body = own_page.join(self.message_parts(delivery.notice))
        return point.address, body, self._headers or headers()

    def message_parts(self, notice: Notice) -> list[bytes]:
        """The notice's message encoded once, split where each reader's own link goes
        (encoding it anew per reader cost more than posting it)."""

        def build() -> list[bytes]:
            message = self.message(chat_words(notice), OWN_PAGE_MARKER)
            return encoded(message).split(OWN_PAGE_MARKER.encode())

        return recent_messages.get(self.name, notice, build)

    def send(self, delivery: Delivery, session: Any) -> str:
        try:
            return outcome(self.service, post(session, *self.request(delivery)))
        except HookGone as error:
            forget(self.contact_point(delivery), str(error))
            raise


class HookGone(TransportError):
    """The service says the hook or its channel no longer exists."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def headers() -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"{settings.SITE_NAME} ({settings.SITE_URL})",
    }


def post(
    client: outbound.Client, url: str, body: bytes, sent: dict[str, str] | None = None
) -> Answer:
    try:
        return client.post(url, body, sent or headers(), policy=outbound.Policy.SUBSCRIBER)
    except outbound.Refused as error:
        raise TransportError(f"Cannot post to this hook: {error}", permanent=True) from None
    except outbound.Unreachable as error:
        raise TransportError(str(error), permanent=False) from None


def error_name(said: Any) -> str:
    """Slack's error word (a plain-text body) or Discord's numeric code, as text."""
    if isinstance(said, dict):
        return str(said.get("code", said.get("error", "")))
    return ""


def retry_after(answer: Answer, said: Any) -> float | None:
    """Seconds to wait: Discord's `retry_after` (seconds, fractions allowed), else Retry-After."""
    if isinstance(said, dict):
        wait = said.get("retry_after")
        if isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0:
            return float(wait)
    header = answer.headers.get("Retry-After", "").strip()
    return float(header) if header.isdigit() else None


def outcome(service: str, answer: Answer) -> str:
    """The reference of a 2xx answer; any other answer raised as the error it is."""
    code = answer.status
    text = answer.body.decode("utf-8", "replace").strip()
    try:
        said = json.loads(text) if text.startswith("{") else None
    except ValueError:
        said = None
    name = error_name(said) or (text if text.isidentifier() else "")
    detail = f"{code} {answer.reason}".strip() + (f": {text[:ANSWER_SHOWN]}" if text else "")
    if 200 <= code < 300:
        found = said.get("id") if isinstance(said, dict) else None
        return f"{code} {found}"[:100] if found else str(code)
    if code in (404, 410) or name in GONE_ERRORS:
        raise HookGone(f"{service} says this hook no longer exists ({detail}).")
    if code == 429:
        raise TransportError(
            f"{service} rate limit ({detail}).",
            permanent=False,
            retry_after=retry_after(answer, said),
        )
    if code >= 500:
        raise TransportError(f"{service} is failing ({detail}).", permanent=False)
    if 300 <= code < 400:
        where = answer.headers.get("Location", "?")
        raise TransportError(f"{detail} (redirects to {where}; not followed)", permanent=True)
    raise TransportError(f"{service} refused the message ({detail}).", permanent=True)
