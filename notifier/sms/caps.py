"""Cost guards: at most SMS_DAILY_PER_NUMBER messages to one number and SMS_DAILY_BUDGET
segments in all per day (the day in SITE_TIME_ZONE), counted from the ledger.

A sent SMS delivery's reference is "<segments>:<provider's id>", so the day's segments are a
sum over the day's sent deliveries and nothing else is stored. Workers sending at the same
moment may each see the other's last message uncounted: the caps can be passed by the
number of workers, no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import IntegerField, Sum, Value
from django.db.models.functions import Cast, StrIndex, Substr
from django.utils import timezone

from incidents import timefmt
from notifier.models import HELD_BACK, Delivery, DeliveryState


def reference(segments: int, message_id: str) -> str:
    return f"{segments}:{message_id}"


def start_of_day(now: datetime | None = None) -> datetime:
    local = timefmt.in_zone(now or timezone.now())
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


@dataclass
class Today:
    """What went out today: messages per contact point (a delivery's target), segments in all."""

    per_target: dict[str, int]
    segments: int

    @classmethod
    def counted(cls, channel: str, targets: list[str]) -> Today:
        today = start_of_day()
        # Nothing sent today was made long before: deliveries are tried at once and given up
        # after DELIVERY_GIVE_UP_AFTER. The bound lets the (state, created_at) index skip the
        # ledger's older rows, millions of emails among them.
        made_since = today - timedelta(seconds=settings.DELIVERY_GIVE_UP_AFTER, days=1)
        sent = Delivery.objects.filter(
            state=DeliveryState.SENT,
            created_at__gte=made_since,
            channel=channel,
            sent_at__gte=today,
        ).order_by()
        per_target = dict.fromkeys(targets, 0)
        for target in sent.filter(target__in=targets).values_list("target", flat=True):
            per_target[target] += 1
        # Cast here (not in Python): a day's ledger is read in one aggregate.
        prefix = Substr("reference", 1, StrIndex("reference", Value(":")) - 1)
        total = sent.filter(reference__regex=r"^[0-9]+:").aggregate(
            total=Sum(Cast(prefix, IntegerField()))
        )["total"]
        return cls(per_target, int(total or 0))

    def hold_back(self, target: str, segments: int) -> str:
        """Why this message must not go out today, or "" when it may."""
        per_number = settings.SMS_DAILY_PER_NUMBER
        if self.per_target.get(target, 0) >= per_number:
            return (
                f"{HELD_BACK} this number has had {per_number} SMS today "
                "(SMS_DAILY_PER_NUMBER); not sent."
            )
        budget = settings.SMS_DAILY_BUDGET
        if self.segments + segments > budget:
            return (
                f"{HELD_BACK} {self.segments} of the {budget} SMS segments of today's budget "
                f"are used and this message needs {segments} (SMS_DAILY_BUDGET); not sent."
            )
        return ""

    def count(self, target: str, segments: int) -> None:
        self.per_target[target] = self.per_target.get(target, 0) + 1
        self.segments += segments
