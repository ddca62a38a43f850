"""Subscribing a Slack, Teams or Discord incoming webhook: a code posted to it, entered here.

Nothing is stored before the code is entered. The request (service, URL, components, the
reader's own page when they came from it) travels signed in a hidden field with a keyed hash
of the code, for CHAT_CODE_MAX_AGE seconds; each request allows GUESSES tries at its code,
counted in the shared rate-limit store under the request's random nonce, and one right
answer: the nonce is then spent, so a hook removed later is not added back by the same code.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.models import Component
from notifier import outbound
from notifier.channels.chat_hooks import ChatHookChannel, encoded, outcome, post
from notifier.manage import add_contact, subscriber_for
from notifier.models import ContactPoint
from notifier.ratelimit import Clock, Decision, RateLimit, configured_store
from notifier.registry import reader_channels
from notifier.signed_links import BadToken

PENDING_SALT = "notifier.chat.pending"
GUESSES = 5
# Where each service shows its incoming-webhook URL (the channels' `where_to_find`), for the
# catalogue: where_to_find() translates.
WHERE_TO_FIND = {
    "slack": gettext_noop(
        "In Slack, create an app (api.slack.com/apps), turn on Incoming Webhooks, choose "
        "Add New Webhook to Workspace and pick the channel; copy the URL it shows "
        "(https://hooks.slack.com/services/…)."
    ),
    "teams": gettext_noop(
        "In Teams, open the channel's Workflows, choose the template “Post to a channel "
        "when a webhook request is received”, pick the team and channel, and copy the URL "
        "it gives at the end."
    ),
    "discord": gettext_noop(
        "In Discord, open the channel's settings, Integrations, Webhooks, New Webhook; "
        "then Copy Webhook URL (https://discord.com/api/webhooks/…)."
    ),
}


def chat_channels() -> dict[str, ChatHookChannel]:
    """The configured chat services by channel name, in the registry's order."""
    return {
        c.name: c for c in reader_channels() if isinstance(c, ChatHookChannel) and c.is_configured()
    }


@dataclass(frozen=True)
class PendingHook:
    service: str  # the channel name: slack, teams or discord
    url: str
    component_ids: tuple[int, ...]
    for_token: str  # the reader's own page they came from, or ""
    nonce: str
    code_hash: str


def where_to_find(channel: ChatHookChannel) -> str:
    """Where the service shows the reader its incoming-webhook URL, in the active language."""
    return _(str(channel.where_to_find))


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_hash(nonce: str, code: str) -> str:
    return salted_hmac("notifier.chat.code", f"{nonce}:{code}", algorithm="sha256").hexdigest()


def pending_token(
    service: str, url: str, component_ids: tuple[int, ...], for_token: str, code: str
) -> str:
    nonce = secrets.token_urlsafe(12)
    data = {
        "s": service,
        "u": url,
        "c": list(component_ids),
        "f": for_token,
        "n": nonce,
        "h": code_hash(nonce, code),
    }
    return signing.dumps(data, salt=PENDING_SALT, compress=True)


def read_pending(token: str) -> PendingHook:
    try:
        data = signing.loads(token, salt=PENDING_SALT, max_age=settings.CHAT_CODE_MAX_AGE)
        return PendingHook(
            str(data["s"]),
            str(data["u"]),
            tuple(int(c) for c in data["c"]),
            str(data["f"]),
            str(data["n"]),
            str(data["h"]),
        )
    except signing.SignatureExpired:
        raise BadToken(_("The time to enter this code has run out. Please start again.")) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadToken(_("This form was changed or cut short. Please start again.")) from None


def send_code(channel: ChatHookChannel, url: str, code: str) -> None:
    """Post the code message to the hook; TransportError says why it could not be posted."""
    with outbound.Client() as client:
        outcome(channel.service, post(client, url, encoded(channel.code_message(code))))


def guesses(nonce: str, clock: Clock = time.time) -> Decision:
    limit = RateLimit(
        "chat-code", GUESSES, settings.CHAT_CODE_MAX_AGE, store=configured_store(), clock=clock
    )
    return limit.hit(nonce)


def spend(nonce: str) -> bool:
    """Mark the request answered; False when it already was (its code works once)."""
    answered = RateLimit("chat-code-used", 1, settings.CHAT_CODE_MAX_AGE, store=configured_store())
    return answered.hit(nonce).allowed


class WrongCode(Exception):
    pass


def confirm(pending: PendingHook, code: str) -> ContactPoint:
    """Record the hook if `code` is its code; WrongCode or BadToken say why not."""
    if pending.service not in chat_channels():
        raise BadToken(_("This service is no longer offered here."))
    if not guesses(pending.nonce).allowed:
        raise BadToken(
            _("That was %(tries)d tries. Please start again for a new code.") % {"tries": GUESSES}
        )
    if not hmac.compare_digest(code_hash(pending.nonce, code), pending.code_hash):
        raise WrongCode(_("That is not the code we posted. Copy the six digits from the message."))
    if not spend(pending.nonce):
        raise BadToken(_("This code has already been used. To add the hook again, start again."))
    subscriber = subscriber_for(pending.for_token) if pending.for_token else None
    existing = Component.objects.filter(pk__in=pending.component_ids).values_list("pk", flat=True)
    return add_contact(
        pending.service, pending.url, component_ids=list(existing), subscriber=subscriber
    )
