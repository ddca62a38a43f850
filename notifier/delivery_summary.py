"""Where a notice stands, for staff: counts per channel, failures, and trying them again.

Shared by the Django admin and the staff console, so both say the same thing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from notifier.models import HELD_BACK, Delivery, DeliveryState, Notice
from notifier.queueing import enqueue_deliveries


def delivery_summary(notice: Notice) -> dict[str, Any]:
    tallies = notice.delivery_tallies
    failed = notice.deliveries.filter(state=DeliveryState.FAILED)
    failures = failed.exclude(last_error__startswith=HELD_BACK).order_by("id")[:50]
    held_back = failed.filter(last_error__startswith=HELD_BACK).order_by("id")[:50]
    return {
        "notice": notice,
        "tallies": tallies,
        "counts": {tally.channel: tally.states for tally in tallies},
        "in_flight": sum(tally.in_flight for tally in tallies),
        # Channels whose audience is not yet all written as deliveries (notifier/expansion.py):
        # more on their way than the counts show.
        "lists": [tally.channel for tally in tallies if tally.expanding],
        "failures": failures,
        # Not sent because a cost cap said so (SMS): staff's to decide, not a far end's refusal.
        "held_back": held_back,
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
