"""Web push: a notification in the browsers readers subscribed from ("Notify me in this browser").

Each subscription is a contact point: the push service's endpoint URL (the browser's vendor's:
Mozilla, Google, Apple...) with the browser's two keys in its details. The message is encrypted
for the browser (RFC 8291, aes128gcm), so the push service carries what it cannot read, and
signed with our VAPID key (RFC 8292). pywebpush does only those two; the POST goes through
notifier.outbound like any URL a subscriber gave, as the endpoint came from a browser.

A push service's answer: 201 accepted; 404 or 410 the subscription has expired or was
revoked, so the contact is forgotten; 429 and 5xx may pass; 413 and other 4xx cannot.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from incidents import timefmt
from notifier import outbound
from notifier.channels.base import TransportError
from notifier.channels.contact import ContactPointChannel, forget, manage_url
from notifier.channels.social import wait_for_unsent
from notifier.models import ContactPoint, Delivery, Notice, NoticeKind
from notifier.notice_text import notice_text
from notifier.push_keys import KeyProblem, vapid_keys

# Push services take 4,096 encrypted bytes; aes128gcm adds 103 to what we write.
PAYLOAD_BYTES = 3000
BODY_LINES = 3
BODY_CHARS = 300
DAY = 24 * 3600
# A reminder is stale once the window it announces has started.
TTL_SECONDS = {NoticeKind.MAINTENANCE_REMINDER: 3600}
URGENT = {NoticeKind.INCIDENT_OPENED, NoticeKind.INCIDENT_RESOLVED}
KEYS = ("p256dh", "auth")
# RFC 8292: a token may be valid for 24 hours at the most.
TOKEN_SECONDS = 12 * 3600


def excerpt(text: str) -> str:
    """The first lines of an update, cut to a notification's few lines."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:BODY_LINES]
    joined = "\n".join(lines)
    return joined if len(joined) <= BODY_CHARS else joined[: BODY_CHARS - 1].rstrip() + "…"


def notification(notice: Notice) -> dict[str, str]:
    """What the service worker shows: title, status and time with zone, the update's start."""
    text = notice_text(notice)
    reminder = notice.kind == NoticeKind.MAINTENANCE_REMINDER
    first = f"{text.status} ({timefmt.stamp(text.posted_at)})"
    if reminder and text.elsewhere:
        first = _("At %(time)s (%(elsewhere)s)") % {"time": text.when, "elsewhere": text.elsewhere}
    elif reminder:
        first = _("At %(time)s") % {"time": text.when}
    return {
        "title": text.headline if reminder else text.title,
        "body": "\n".join(part for part in (first, excerpt(text.body)) if part),
        "url": text.url,
        "tag": notice.thread_key,
    }


def payload(shown: dict[str, str], manage: str) -> bytes:
    """The JSON the browser decrypts, its body shortened until the whole fits a push."""
    message = {**shown, "manage": manage}
    data = json.dumps(message, ensure_ascii=False).encode()
    while len(data) > PAYLOAD_BYTES and message["body"]:
        over = len(data) - PAYLOAD_BYTES
        message["body"] = message["body"][: max(0, len(message["body"]) - over - 1)] + "…"
        message["body"] = message["body"] if len(message["body"]) > 1 else ""
        data = json.dumps(message, ensure_ascii=False).encode()
    return data


def encrypted(point: ContactPoint, data: bytes) -> bytes:
    """The payload encrypted for the browser's keys (RFC 8291, aes128gcm)."""
    from pywebpush import WebPusher, WebPushException

    details = point.details or {}
    subscription = {"endpoint": point.address, "keys": {k: details.get(k) for k in KEYS}}
    try:
        return bytes(WebPusher(subscription).encode(data, "aes128gcm")["body"])
    except (WebPushException, ValueError, TypeError) as error:
        raise TransportError(
            f"The subscription's keys are unusable: {error}", permanent=True
        ) from error


def origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def authorization(endpoint: str) -> str:
    """The VAPID header: a JWT for the push service's origin, and our public key."""
    from py_vapid import Vapid02, VapidException

    claims = {
        "aud": origin(endpoint),
        "exp": int(time.time()) + TOKEN_SECONDS,
        "sub": settings.VAPID_SUBJECT,
    }
    try:
        signed = Vapid02(private_key=vapid_keys().private).sign(claims)
    except (VapidException, KeyProblem) as error:
        raise TransportError(f"Cannot sign the push: {error}", permanent=True) from error
    return str(signed["Authorization"])


def headers(notice: Notice, endpoint: str) -> dict[str, str]:
    return {
        "TTL": str(TTL_SECONDS.get(NoticeKind(notice.kind), DAY)),
        "Urgency": "high" if notice.kind in URGENT else "normal",
        # A newer update of the thread replaces one the browser has not fetched yet.
        "Topic": notice.thread_key[:32],
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "Authorization": authorization(endpoint),
    }


def retry_after(answer: outbound.Answer) -> float | None:
    value = (answer.headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def outcome(answer: outbound.Answer, point: ContactPoint) -> str:
    """The push message's address on success; anything else raised as what it means."""
    code = answer.status
    said = answer.body.decode("utf-8", "replace").strip()[:200]
    detail = f"{code} {answer.reason}".strip() + (f": {said}" if said else "")
    if 200 <= code < 300:
        return str(answer.headers.get("Location") or "")[:200]
    if code in (404, 410):
        forget(point, f"the push service answered {code}")
        raise TransportError(
            f"The browser's subscription has expired or was revoked ({detail}); "
            "the subscriber was removed.",
            permanent=True,
        )
    if code == 429:
        raise TransportError(
            f"The push service is rate limiting ({detail}).",
            permanent=False,
            retry_after=retry_after(answer),
        )
    if code >= 500:
        raise TransportError(f"The push service is failing ({detail}).", permanent=False)
    if code == 413:
        raise TransportError(
            f"The push service found the message too large ({detail}).", permanent=True
        )
    raise TransportError(f"The push service refused the message ({detail}).", permanent=True)


class PushChannel(ContactPointChannel):
    name = "push"
    label = "Browser push subscribers"
    public_label = "This browser"
    subscribe_url_name = "subscribe_push"

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[tuple[int, str | None], dict[str, str]] = {}

    def is_configured(self) -> bool:
        return not self.why_off()

    def why_off(self) -> str:
        if not settings.PUSH_ENABLED:
            return "Set PUSH_ENABLED=true in the environment."
        try:
            vapid_keys()
        except KeyProblem as problem:
            return str(problem)
        return ""

    def preview(self, notice: Notice) -> str:
        shown = notification(notice)
        return f"{shown['title']}\n{shown['body']}\n{shown['url']}"

    def session(self) -> outbound.Client:
        return outbound.Client()

    def send(self, delivery: Delivery, session: Any) -> str:
        point = self.contact_point(delivery)
        notice = delivery.notice
        # A Topic makes the newest message replace an undelivered one: never an older after.
        wait_for_unsent(
            Delivery.objects.filter(
                notice.same_thread("notice__"),
                channel=self.name,
                target=delivery.target,
                notice_id__lt=notice.pk,
            )
        )
        key = (notice.pk, translation.get_language())
        if key not in self._shown:
            self._shown[key] = notification(notice)
        data = payload(self._shown[key], manage_url(point.subscriber))
        body = encrypted(point, data)
        try:
            answer = session.post(
                point.address,
                body,
                headers(notice, point.address),
                policy=outbound.Policy.SUBSCRIBER,
            )
        except outbound.Refused as error:
            raise TransportError(
                f"Not sending to this push endpoint: {error}", permanent=True
            ) from error
        except outbound.Unreachable as error:
            raise TransportError(str(error), permanent=False) from error
        return outcome(answer, point)
