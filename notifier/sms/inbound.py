"""Replies to our numbers: STOP (and its kin) forgets the number that sent it."""

from __future__ import annotations

from notifier.channels.contact import forget
from notifier.models import ContactPoint
from notifier.sms.numbers import BadNumber, e164

# "STOPP" is Norwegian; the rest are the words carriers and Twilio treat as opting out.
STOP_WORDS = {"STOP", "STOPP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}


def is_stop(body: str) -> bool:
    words = body.split(maxsplit=1)
    return bool(words) and words[0].strip(".!,").upper() in STOP_WORDS


def heard(sender: str, body: str) -> bool:
    """Forget the sender's number if the message asks to stop; whether it was forgotten."""
    if not is_stop(body):
        return False
    try:
        number = e164(sender)
    except BadNumber:
        return False
    point = ContactPoint.objects.filter(channel="sms", address=number).first()
    if point is None:
        return False
    forget(point, "the number replied STOP")
    return True
