"""Where a notice stands, for staff: counts per channel, failures, and trying them again.

Shared by the Django admin and the staff console, so both say the same thing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from notifier.ledger import enqueue_deliveries
from notifier.models import Delivery, DeliveryState, Notice

IN_FLIGHT_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.RETRYING)


def delivery_summary(notice: Notice) -> dict[str, Any]:
    counts = notice.deliveries.counts_by_channel()
    in_flight = sum(states[state] for states in counts.values() for state in IN_FLIGHT_STATES)
    failures = notice.deliveries.filter(state=DeliveryState.FAILED).order_by("id")[:50]
    # A list not yet expanded into deliveries has more on its way than the counts show.
    lists = list(notice.expansions.filter(done_at=None).values_list("channel", flat=True))
    return {
        "notice": notice,
        "counts": counts,
        "in_flight": in_flight,
        "lists": lists,
        "failures": failures,
        "done": not in_flight and not lists,
    }


def requeue_failed(notices: QuerySet[Notice]) -> int:
    failed = Delivery.objects.filter(notice__in=notices, state=DeliveryState.FAILED)
    ids = list(failed.values_list("id", flat=True))
    # created_at too: DELIVERY_GIVE_UP_AFTER counts from it, and staff asked for a new try.
    failed.update(
        state=DeliveryState.PENDING,
        attempts=0,
        last_error="",
        enqueued_at=None,
        created_at=timezone.now(),
    )
    return enqueue_deliveries(Delivery.objects.filter(pk__in=ids))
