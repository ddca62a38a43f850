"""A reader's own page, reached by a signed link in every notice: what they get, and leaving."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifier.models import Subscriber, Unsubscribed
from notifier.signed_links import BadToken, address_key, matches_key, read_manage_token

GONE = "This subscription no longer exists: it ended, or the link is older than its last change."


def subscriber_for(token: str) -> Subscriber:
    """The subscriber a manage link names, if the link still stands."""
    subscriber_id, key_hash = read_manage_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not matches_key(key_hash, subscriber.key):
        raise BadToken(GONE)
    return subscriber


@transaction.atomic
def leave(subscriber: Subscriber) -> None:
    """Delete the reader with every contact; an email address also withdraws its old links."""
    if subscriber.email:
        Unsubscribed.objects.update_or_create(
            key=address_key(subscriber.email), defaults={"at": timezone.now()}
        )
    subscriber.delete()
