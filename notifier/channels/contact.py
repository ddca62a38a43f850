"""The base of channels that reach subscribers at their contact points (SMS, chat, push).

One delivery per contact point whose subscriber follows what the notice is about; the
delivery's target is the contact point's id. A contact the far end says is gone (a revoked
push subscription, a blocked bot, a number that opted out) is forgotten by `forget`, which
also deletes the subscriber when nothing else reaches them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse

from incidents.links import absolute
from notifier.channels.base import Channel, TransportError
from notifier.models import ContactPoint, Delivery, Notice, Subscriber
from notifier.signed_links import manage_token

logger = logging.getLogger(__name__)


class ContactPointChannel(Channel):
    def __init__(self) -> None:
        self._points: dict[int, ContactPoint] = {}

    def audience(self, notice: Notice) -> Sequence[int]:
        points = ContactPoint.objects.audience(self.name, notice.component_ids())
        return list(points.order_by("id").values_list("id", flat=True))

    def targets(self, notice: Notice) -> list[str]:
        return [str(pk) for pk in self.audience(notice)]

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        ids = [int(d.target) for d in deliveries]
        self._points = ContactPoint.objects.select_related("subscriber").in_bulk(ids)

    def language_of(self, delivery: Delivery) -> str | None:
        point = self._points.get(int(delivery.target))
        return point.subscriber.language if point is not None else None

    def contact_point(self, delivery: Delivery) -> ContactPoint:
        """The delivery's contact point; a permanent failure when the reader has left."""
        point = self._points.get(int(delivery.target))
        if point is None:
            point = (
                ContactPoint.objects.select_related("subscriber")
                .filter(pk=int(delivery.target))
                .first()
            )
        if point is None:
            raise TransportError("The subscriber left before this was sent.", permanent=True)
        return point


def manage_url(subscriber: Subscriber) -> str:
    """The reader's own page, where they change what they get or leave."""
    return absolute(
        reverse("manage_subscription", args=[manage_token(subscriber.pk, subscriber.key)])
    )


@transaction.atomic
def forget(point: ContactPoint, reason: str) -> None:
    """Delete a contact the far end says is gone, and the subscriber if it was their last."""
    subscriber_id = point.subscriber_id
    ContactPoint.objects.filter(pk=point.pk).delete()
    logger.info("Forgot %s contact %s: %s", point.channel, point.pk, reason)
    remaining = ContactPoint.objects.filter(subscriber_id=subscriber_id).exists()
    if not remaining:
        Subscriber.objects.filter(pk=subscriber_id, email=None).delete()
