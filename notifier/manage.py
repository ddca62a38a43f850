"""A reader's own page, reached by a signed link in every notice: what they get, and leaving."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from notifier.channels.base import Channel
from notifier.forms import LARGEST_ID
from notifier.models import ContactPoint, Subscriber, Unsubscribed
from notifier.registry import channel_named
from notifier.signed_links import (
    BadToken,
    address_key,
    manage_token,
    matches_key,
    read_manage_token,
)


@dataclass(frozen=True)
class Contact:
    """One way the reader is reached, as their page lists it."""

    label: str  # the channel's public label: "Email", "Text message"
    address: str  # as the reader may see it
    value: str  # what the page posts to remove it: "email" or the contact point's id


EMAIL = "email"  # names the reader's email address among their contacts
GONE = _("This subscription no longer exists: it ended, or the link is older than its last change.")
# The channels' public labels (notifier/channels/), for the catalogue: public_label translates.
PUBLIC_LABELS = (
    gettext_noop("Email"),
    gettext_noop("SMS"),
    gettext_noop("This browser"),
    gettext_noop("Slack, Teams or Discord"),
    gettext_noop("Telegram"),
)


def token_of(subscriber: Subscriber) -> str:
    """The token of the reader's own page (its path: reverse("manage_subscription", [token]))."""
    return manage_token(subscriber.pk, subscriber.key)


def subscriber_for(token: str) -> Subscriber:
    """The subscriber a manage link names, if the link still stands."""
    subscriber_id, key_hash = read_manage_token(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not matches_key(key_hash, subscriber.key):
        raise BadToken(GONE)
    return subscriber


def label_of(channel: Channel) -> str:
    """The channel as readers call it ("Email", "SMS"), in the active language."""
    return gettext(str(channel.public_label or channel.label))


def public_label(channel: str) -> str:
    """The public label of the channel of this name, in the active language."""
    try:
        found = channel_named(channel)
    except KeyError:  # a channel no longer configured in the code still lists its contacts
        return channel.capitalize()
    return label_of(found)


def contacts(subscriber: Subscriber) -> list[Contact]:
    """Where the reader is reached: their email first, then each contact point."""
    found = [Contact(gettext("Email"), subscriber.email, EMAIL)] if subscriber.email else []
    for point in subscriber.contact_points.order_by("id"):
        found.append(Contact(public_label(point.channel), point.shown_address, str(point.pk)))
    return found


@transaction.atomic
def leave(subscriber: Subscriber) -> None:
    """Delete the reader with every contact; an email address also withdraws its old links."""
    if subscriber.email:
        Unsubscribed.objects.update_or_create(
            key=address_key(subscriber.email), defaults={"at": timezone.now()}
        )
    subscriber.delete()


@transaction.atomic
def choose_language(subscriber: Subscriber, language: str) -> bool:
    """The language the reader's notices are written in; False for one the site lacks."""
    if language not in dict(settings.LANGUAGES):
        return False
    Subscriber.objects.filter(pk=subscriber.pk).update(language=language)
    return True


def choose_components(subscriber: Subscriber, component_ids: Sequence[int]) -> None:
    """What the reader hears about from now on; none: every service."""
    subscriber.components.set(list(component_ids))


@transaction.atomic
def remove_contact(subscriber: Subscriber, contact: str) -> bool:
    """Stop reaching the reader at one contact ("email" or a contact point's id).

    Returns whether the reader is still subscribed: removing the last contact is leaving. A
    contact that is not theirs (or gone already) changes nothing.
    """
    if contact == EMAIL:
        if not subscriber.email:
            return True
        Unsubscribed.objects.update_or_create(
            key=address_key(subscriber.email), defaults={"at": timezone.now()}
        )
        subscriber.email = None
        subscriber.save(update_fields=["email"])
    elif contact.isascii() and contact.isdigit() and int(contact) <= LARGEST_ID:
        subscriber.contact_points.filter(pk=int(contact)).delete()
    if subscriber.reachable:
        return True
    subscriber.delete()
    return False


@transaction.atomic
def add_contact(
    channel: str,
    address: str,
    *,
    component_ids: Sequence[int],
    details: dict[str, Any] | None = None,
    subscriber: Subscriber | None = None,
    confirmed_at: datetime | None = None,
) -> ContactPoint:
    """Record a confirmed contact point; every channel's subscribe flow ends here.

    `confirmed_at`: when the reader confirmed it, if not now (an import keeping the consent a
    source recorded).

    With `subscriber` (a reader adding a channel from their own page) the contact joins them
    and `component_ids` is ignored: the page sets those. Without, a contact already known on
    this channel keeps its reader, whose choice of components becomes this one; a new contact
    gets a new reader of its own.
    """
    point = ContactPoint.objects.filter(channel=channel, address=address).first()
    if subscriber is None:
        if point is not None:
            subscriber = point.subscriber
        else:  # in the language of the page the reader subscribed from
            subscriber = Subscriber.objects.create(language=translation.get_language())
        subscriber.components.set(list(component_ids))
    if point is None:
        point = ContactPoint(channel=channel, address=address)
    previous = point.subscriber_id
    point.subscriber = subscriber
    point.details = details if details is not None else point.details
    point.confirmed_at = confirmed_at or timezone.now()
    point.save()
    if previous and previous != subscriber.pk:
        # The contact moved to another reader; the one it left may now reach nobody.
        left = Subscriber.objects.filter(pk=previous, email=None)
        left.exclude(pk__in=ContactPoint.objects.values("subscriber_id")).delete()
    return point


@transaction.atomic
def move_contact(point_id: int, address: str, details: dict[str, Any]) -> bool:
    """Give a contact point a new address and details, keeping its reader and components.

    False (nothing changed) when the point is gone or another contact holds the address.
    """
    point = ContactPoint.objects.select_for_update().filter(pk=point_id).first()
    if point is None:
        return False
    taken = ContactPoint.objects.filter(channel=point.channel, address=address)
    if taken.exclude(pk=point.pk).exists():
        return False
    point.address = address
    point.details = details
    point.save(update_fields=["address", "details"])
    return True
