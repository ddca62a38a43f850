"""A reader's own page, reached by a signed link in every notice: what they get, and leaving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from notifier.models import ContactPoint, Subscriber, Unsubscribed
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


@transaction.atomic
def add_contact(
    channel: str,
    address: str,
    *,
    component_ids: Sequence[int],
    details: dict[str, Any] | None = None,
    subscriber: Subscriber | None = None,
) -> ContactPoint:
    """Record a confirmed contact point; every channel's subscribe flow ends here.

    With `subscriber` (a reader adding a channel from their own page) the contact joins them
    and `component_ids` is ignored: the page sets those. Without, a contact already known on
    this channel keeps its reader, whose choice of components becomes this one; a new contact
    gets a new reader of its own.
    """
    point = ContactPoint.objects.filter(channel=channel, address=address).first()
    if subscriber is None:
        subscriber = point.subscriber if point is not None else Subscriber.objects.create()
        subscriber.components.set(list(component_ids))
    if point is None:
        point = ContactPoint(channel=channel, address=address)
    previous = point.subscriber_id
    point.subscriber = subscriber
    point.details = details if details is not None else point.details
    point.confirmed_at = timezone.now()
    point.save()
    if previous and previous != subscriber.pk:
        # The contact moved to another reader; the one it left may now reach nobody.
        left = Subscriber.objects.filter(pk=previous, email=None)
        left.exclude(pk__in=ContactPoint.objects.values("subscriber_id")).delete()
    return point
