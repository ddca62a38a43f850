"""Where a notice stands, for staff: counts per channel, failures, and trying them again.

Shared by the Django admin and the staff console, so both say the same thing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from notifier.models import Delivery, DeliveryState, Notice
from notifier.queueing import enqueue_deliveries


def delivery_summary(notice: Notice) -> dict[str, Any]:
    tallies = notice.delivery_tallies
    failures = notice.deliveries.filter(state=DeliveryState.FAILED).order_by("id")[:50]
    return {
        "notice": notice,
        "tallies": tallies,
        "counts": {tally.channel: tally.states for tally in tallies},
        "in_flight": sum(tally.in_flight for tally in tallies),
        # A list not yet expanded into deliveries has more on its way than the counts show.
        "lists": [tally.channel for tally in tallies if tally.expanding],
        "failures": failures,
        "done": notice.deliveries_final,
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
