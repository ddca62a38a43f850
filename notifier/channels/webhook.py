"""Webhooks: each incident and maintenance notice POSTed as JSON, signed, to every endpoint.

Targets: every enabled WebhookEndpoint whose components include one the
notice is about (an endpoint without components takes everything). Posts
(the blog) are not sent: Statuspage webhooks carry incidents only. The publish
writes one Expansion row; a worker writes the deliveries, a chunk of endpoints
at a time in id order, and queues each chunk as it goes (notifier/expansion.py).

The body has Atlassian Statuspage's webhook shape (see webhook_payload.py for
the mapping). Headers:

    Content-Type: application/json
    User-Agent: <SITE_NAME> webhooks (<SITE_URL>)
    X-Statuspage-Event: incident.updated         the NoticeKind, exact (maintenance.postponed)
    X-Statuspage-Delivery: 1234                   the same on every retry: deduplicate on it
    X-Statuspage-Timestamp: 1700000000            unix seconds when this try was signed
    X-Statuspage-Signature: sha256=<hex>          HMAC-SHA256, key: the endpoint's secret,
                                                  message: "<timestamp>.<raw body bytes>"

A consumer recomputes the HMAC over the timestamp, a dot and the raw body,
compares in constant time, and refuses old timestamps (replays).

Where: through notifier/outbound.py. An endpoint registered for a subscriber is
posted only over https to a name whose every address is public, checked when
sending and then connected to (a refusal fails the delivery for good, with the
reason shown to staff); staff's own endpoints may be private or plain http. Both
are bounded: OUTBOUND_HTTP_TIMEOUT for the whole exchange, 64 KiB of the answer.

Answers: 2xx is sent. A redirect is not followed and counts as a refusal
(Statuspage does the same). 410 Gone disables the endpoint at once; other
4xx fail for good; 5xx, timeouts and lost connections are retried by the
dispatcher. After WEBHOOK_DISABLE_AFTER failures in a row the endpoint is
disabled and its contact gets one plain mail saying why and how to get it back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifier import outbound
from notifier.channels.base import ExpandingChannel, TransportError, gives_up, recent_messages
from notifier.channels.webhook_payload import payload, unsubscribe_url_around
from notifier.mail_headers import one_off_mail
from notifier.models import Delivery, Notice, WebhookEndpoint
from notifier.outbound import Answer
from notifier.signed_links import WebhookUnsubscribeSigner, webhook_unsubscribe_token

logger = logging.getLogger(__name__)

# How much of an answer is read: enough for an error message or a request id.
ANSWER_BYTES = 2048
# Stands in for each endpoint's unsubscribe link in a payload encoded once a batch.
UNSUBSCRIBE_MARKER = "UNSUBSCRIBE-URL-2b8e70"
TOKEN_MARKER = "TOKEN-5c1d8f"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class Refused(TransportError):
    """What the endpoint answered instead of 2xx; `gone`: 410, disable it at once."""

    def __init__(
        self, message: str, *, permanent: bool, gone: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.gone = gone


def outcome(answer: Answer) -> str:
    """The reference of a 2xx answer; any other answer raised as the error it is."""
    code = answer.status
    text = answer.body[:ANSWER_BYTES].decode("utf-8", "replace").strip()[:200]
    said = f"{code} {answer.reason}" + (f": {text}" if text else "")
    if 200 <= code < 300:
        return f"{code} {response_id(answer)}".strip()
    if 300 <= code < 400:
        where = answer.headers.get("Location", "?")
        raise Refused(f"{said} (redirects to {where}; webhooks do not follow)", permanent=True)
    if code == 410:
        raise Refused(said, permanent=True, gone=True)
    if code == 429 or code >= 500:
        raise Refused(said, permanent=False, retry_after=retry_after(answer))
    raise Refused(said, permanent=True)


def retry_after(answer: Answer) -> float | None:
    """Seconds from a Retry-After header given in seconds (the HTTP-date form is ignored)."""
    value = answer.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def response_id(answer: Answer) -> str:
    """A short id the endpoint gave its receipt, from a request-id header or a JSON `id`."""
    found = answer.headers.get("X-Request-Id")  # header names match in any case
    if not found and answer.body.lstrip().startswith(b"{"):
        try:
            found = json.loads(answer.body).get("id")
        except (ValueError, AttributeError):
            found = None
    return str(found)[:60] if found else ""


class WebhookChannel(ExpandingChannel):
    name = "webhook"
    label = "Webhooks"
    # Many endpoints a task, over one outbound Client (kept connections per address); one
    # endpoint failing holds up none of the others (the dispatcher goes on past it).
    batch = True
    independent_targets = True

    def __init__(self) -> None:
        self._endpoints: dict[int, WebhookEndpoint] = {}
        self._unsubscribe_around: tuple[str, str] | None = None
        self._signer: WebhookUnsubscribeSigner | None = None
        self._headers: dict[str, str] = {}
        self._succeeded: set[int] = set()

    def fits(self, notice: Notice) -> bool:
        return not notice.post_id  # incidents, maintenance and component changes

    def endpoints(self, notice: Notice) -> Any:
        if notice.post_id:
            return WebhookEndpoint.objects.none()
        endpoints = WebhookEndpoint.objects.filter(disabled_at__isnull=True)
        ids = notice.component_ids()
        if ids:
            endpoints = endpoints.filter(Q(components=None) | Q(components__in=ids)).distinct()
        return endpoints

    def targets(self, notice: Notice) -> Iterable[str]:
        return [str(pk) for pk in self.endpoints(notice).values_list("pk", flat=True)]

    def audience_ids(self, notice: Notice) -> Any:
        return self.endpoints(notice).values_list("id", flat=True)

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        # Only what posting, counting a failure and telling the contact read.
        endpoints = WebhookEndpoint.objects.only(
            "id", "url", "secret", "owner", "contact_email", "disabled_at", "disabled_reason"
        ).filter(pk__any_of=[int(d.target) for d in deliveries])
        self._endpoints = {endpoint.pk: endpoint for endpoint in endpoints}
        self._unsubscribe_around = None
        self._signer = WebhookUnsubscribeSigner()
        self._headers = constant_headers()

    def body(self, notice: Notice, endpoint: WebhookEndpoint) -> bytes:
        """The notice's payload, built and encoded once (some 17 queries), with this
        endpoint's unsubscribe link spliced in."""

        def build() -> list[bytes]:
            shared = payload(notice)
            shared["meta"]["unsubscribe"] = UNSUBSCRIBE_MARKER
            encoded = json.dumps(shared, separators=(",", ":"), ensure_ascii=False).encode()
            return encoded.split(json.dumps(UNSUBSCRIBE_MARKER).encode())

        link = json.dumps(self.unsubscribe_url(endpoint), ensure_ascii=False).encode()
        return link.join(recent_messages.get(self.name, notice, build))

    def unsubscribe_url(self, endpoint: WebhookEndpoint) -> str | None:
        """webhook_payload.unsubscribe_url, with reverse() once a batch (it cost more than the
        post): each endpoint's link is the same with its token in the middle."""
        if endpoint.owner != WebhookEndpoint.Owner.SUBSCRIBER:
            return None
        if self._unsubscribe_around is None:
            before, _, after = unsubscribe_url_around(TOKEN_MARKER).partition(TOKEN_MARKER)
            self._unsubscribe_around = (before, after)
        before, after = self._unsubscribe_around
        token = webhook_unsubscribe_token(endpoint.pk, endpoint.secret, self._signer)
        return f"{before}{token}{after}"

    @contextmanager
    def session(self) -> Iterator[outbound.Client]:
        """One Client for the batch; the endpoints that took their post are marked at its end,
        in one statement (an UPDATE per post cost more than the post)."""
        self._succeeded = set()
        try:
            with outbound.Client() as client:
                yield client
        finally:
            if self._succeeded:
                WebhookEndpoint.objects.filter(pk__any_of=self._succeeded).update(
                    consecutive_failures=0, last_success_at=timezone.now()
                )

    def preview(self, notice: Notice) -> str:
        count = self.endpoints(notice).count()
        return f"{notice.kind} as JSON to {count} endpoint{'' if count == 1 else 's'}"

    def send(self, delivery: Delivery, session: Any) -> str:
        endpoint = self._endpoints.get(int(delivery.target))
        if endpoint is None:
            raise TransportError("The endpoint was deleted.", permanent=True)
        if not endpoint.is_enabled:
            raise TransportError(
                f"The endpoint is disabled: {endpoint.disabled_reason}", permanent=True
            )
        try:
            reference = self.post(delivery, endpoint, session)
        except TransportError as error:
            self._succeeded.discard(endpoint.pk)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                last_failure_at=timezone.now(), last_failure=str(error)[:500]
            )
            # Counting failures is endpoint bookkeeping (notifier data, not domain rows). It is
            # done here because only the channel knows a 410 from a 404; the dispatcher still
            # alone decides retry or give up, by the same rule (base.gives_up).
            if gives_up(delivery, error):
                self.count_failure(endpoint, error, gone=isinstance(error, Refused) and error.gone)
            raise
        self._succeeded.add(endpoint.pk)
        return reference

    def post(self, delivery: Delivery, endpoint: WebhookEndpoint, client: outbound.Client) -> str:
        body = self.body(delivery.notice, endpoint)
        timestamp = int(time.time())
        headers = {
            **(self._headers or constant_headers()),
            "X-Statuspage-Event": delivery.notice.kind,
            "X-Statuspage-Delivery": str(delivery.pk),
            "X-Statuspage-Timestamp": str(timestamp),
            "X-Statuspage-Signature": signature(endpoint.secret, timestamp, body),
        }
        try:
            answer = client.post(endpoint.url, body, headers, policy=policy(endpoint))
        except outbound.Refused as error:
            raise TransportError(
                f"Cannot post to {endpoint.url}: {error}", permanent=True
            ) from None
        except outbound.Unreachable as error:
            raise TransportError(str(error), permanent=False) from None
        return outcome(answer)

    def count_failure(self, endpoint: WebhookEndpoint, error: TransportError, gone: bool) -> None:
        """One more failure in a row; disable the endpoint once it is gone or has too many."""
        endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        limit = 1 if gone else settings.WEBHOOK_DISABLE_AFTER
        why = (
            "it answered 410 Gone"
            if gone
            else f"{settings.WEBHOOK_DISABLE_AFTER} deliveries in a row failed"
        )
        # Conditional, so two workers failing at once disable it (and mail its contact) once.
        disabled = endpoints.filter(
            disabled_at__isnull=True, consecutive_failures__gte=limit
        ).update(disabled_at=timezone.now(), disabled_reason=f"Disabled because {why}."[:500])
        if disabled:
            logger.warning("Disabled webhook endpoint %s: %s", endpoint.pk, why)
            tell_contact(endpoint, said_why(gone), str(error))


def constant_headers() -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": f"{settings.SITE_NAME} webhooks ({settings.SITE_URL})",
    }


def policy(endpoint: WebhookEndpoint) -> outbound.Policy:
    """Subscribers' endpoints go to public https addresses only; staff may post inside."""
    if endpoint.owner == WebhookEndpoint.Owner.STAFF:
        return outbound.Policy.STAFF
    return outbound.Policy.SUBSCRIBER


def said_why(gone: bool) -> str:
    """Why the endpoint was disabled, as its contact reads it (in the active language)."""
    if gone:
        return _("it answered 410 Gone")
    count = settings.WEBHOOK_DISABLE_AFTER
    return ngettext(
        "%(count)d delivery in a row failed", "%(count)d deliveries in a row failed", count
    ) % {"count": count}


def tell_contact(endpoint: WebhookEndpoint, why: str, last_error: str) -> None:
    """One plain mail to the endpoint's contact; a mail failure is logged, never raised."""
    if not endpoint.contact_email:
        return
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "url": endpoint.url,
        "why": why,
        "last_error": last_error,
        "subscriber": endpoint.owner == WebhookEndpoint.Owner.SUBSCRIBER,
    }
    subject = render_to_string("emails/webhook-disabled-subject.txt", context)
    try:
        one_off_mail(
            " ".join(subject.split()),
            render_to_string("emails/webhook-disabled-body.txt", context),
            endpoint.contact_email,
        ).send()
    except Exception:
        logger.exception("Could not tell %s that its webhook was disabled", endpoint.pk)
