"""Proving a number is the reader's: a six-digit code by SMS, the request signed in the page.

Nothing is stored until the code is right: the number, the chosen services, an HMAC of the
code (keyed by SECRET_KEY, so the page's copy does not give the code away) and when it was
sent travel signed in a hidden field, valid for CODE_MAX_AGE. Each request allows MAX_TRIES
tries at its code, counted by the shared rate limit under the request's random nonce, and one
right answer: the nonce is then spent. A STOP from the number withdraws the requests made
before it, as unsubscribing withdraws email confirmation links (notifier.models.Unsubscribed).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifier.models import Unsubscribed
from notifier.ratelimit import Decision, RateLimit, configured_store
from notifier.signed_links import BadToken, address_key

CODE_SALT = "notifier.sms.code"
CODE_MAX_AGE = 15 * 60
MAX_TRIES = 5
# Codes one number may be sent in an hour, whoever asks: nobody's phone is to be flooded.
CODES_PER_NUMBER = 3
NUMBER_WINDOW = 3600

ALREADY_USED = gettext_lazy(
    "This code has already been used. To subscribe this number again, ask for a new code."
)
WITHDRAWN = gettext_lazy(
    "This number replied STOP after this code was sent, so the code no longer subscribes it. "
    "To subscribe again, ask for a new code."
)


@dataclass(frozen=True)
class PendingNumber:
    number: str  # E.164
    component_ids: tuple[int, ...]
    code_hash: str
    nonce: str
    issued_at: float
    manage: str = ""  # the token of the reader's own page, when they came from it


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_hash(nonce: str, code: str) -> str:
    return salted_hmac(CODE_SALT, f"{nonce}:{code}", algorithm="sha256").hexdigest()


def code_message(code: str) -> str:
    return _("Your code for %(site)s: %(code)s") % {"site": settings.SITE_NAME, "code": code}


def pending(
    number: str, component_ids: tuple[int, ...], code: str, manage: str = ""
) -> PendingNumber:
    nonce = secrets.token_urlsafe(12)
    return PendingNumber(number, component_ids, code_hash(nonce, code), nonce, time.time(), manage)


def pending_token(request: PendingNumber) -> str:
    data = {
        "n": request.number,
        "c": list(request.component_ids),
        "h": request.code_hash,
        "r": request.nonce,
        "t": request.issued_at,
        "m": request.manage,
    }
    return signing.dumps(data, salt=CODE_SALT, compress=True)


def read_pending(token: str) -> PendingNumber:
    try:
        data = signing.loads(token, salt=CODE_SALT, max_age=CODE_MAX_AGE)
        return PendingNumber(
            str(data["n"]),
            tuple(int(c) for c in data["c"]),
            str(data["h"]),
            str(data["r"]),
            float(data["t"]),
            str(data["m"]),
        )
    except signing.SignatureExpired:
        raise BadToken(_("This code has expired. Please ask for a new one.")) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadToken(_("This request is not valid. Please start again.")) from None


def take_try(request: PendingNumber) -> Decision:
    """Count a try at the code of this request, if tries are left."""
    tries = RateLimit("sms-code", MAX_TRIES, CODE_MAX_AGE, store=configured_store())
    return tries.hit(request.nonce)


def matches(request: PendingNumber, code: str) -> bool:
    return hmac.compare_digest(code_hash(request.nonce, code), request.code_hash)


def admit_number(number: str) -> Decision:
    """Count a code sent to this number, if the number may be sent another now."""
    limit = RateLimit("sms-number", CODES_PER_NUMBER, NUMBER_WINDOW, store=configured_store())
    return limit.hit(number)


def spend(request: PendingNumber) -> bool:
    """Mark the request answered; False when it already was (its code works once)."""
    answered = RateLimit("sms-code-used", 1, CODE_MAX_AGE, store=configured_store())
    return answered.hit(request.nonce).allowed


def withdrawn(request: PendingNumber) -> bool:
    """Whether the number replied STOP after this request's code was sent."""
    made = datetime.fromtimestamp(request.issued_at, UTC)
    return Unsubscribed.left_since(request.number, made)


def withdraw(number: str) -> None:
    """Withdraw the number's pending requests: a STOP outranks a code sent before it."""
    now = timezone.now()
    with transaction.atomic():
        Unsubscribed.objects.update_or_create(key=address_key(number), defaults={"at": now})
        # Older records outlived every request (and email link) they could withdraw.
        live = max(CODE_MAX_AGE, settings.SUBSCRIBE_CONFIRM_MAX_AGE)
        Unsubscribed.objects.filter(at__lt=now - timedelta(seconds=live)).delete()
