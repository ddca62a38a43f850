"""The delivery ledger: one row per notice, channel and target, moved only by workers."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


CLAIMABLE_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)
# How a failed delivery's last_error starts when a cost cap kept it from being sent (SMS).
HELD_BACK = "Held back:"


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def claimable(self) -> DeliveryQuerySet:
        return self.filter(state__in=CLAIMABLE_STATES)

    def stale(
        self,
        now: datetime,
        *,
        pending_for: timedelta,
        sending_for: timedelta,
        queue_moving: bool = False,
    ) -> DeliveryQuerySet:
        """Deliveries nobody is working on: never queued, lost by the broker, or claimed by a
        worker that died.

        A delivery queued long ago is only taken for lost while the workers are idle
        (`queue_moving` False): during a large fan-out the last batches wait their turn in
        the queue far longer than DELIVERY_STALE_SECONDS, and are not lost.
        """
        waiting_since = Coalesce("enqueued_at", "created_at")
        lost = models.Q(
            state=DeliveryState.PENDING, enqueued_at=None, created_at__lte=now - pending_for
        )
        if not queue_moving:
            lost |= models.Q(state=DeliveryState.PENDING, enqueued_at__lte=now - pending_for)
        return self.alias(waiting_since=waiting_since).filter(
            lost
            | models.Q(
                state=DeliveryState.RETRYING,
                next_attempt_at__lte=now - pending_for,
                waiting_since__lte=now - pending_for,
            )
            | models.Q(state=DeliveryState.SENDING, claimed_at__lte=now - sending_for)
        )

    def being_sent_since(self, since: datetime) -> bool:
        """Whether a worker claimed or renewed a batch since then: the queue is being worked."""
        return self.filter(state=DeliveryState.SENDING, claimed_at__gt=since).exists()


class Delivery(models.Model):
    """One notice to one target over one channel, and what became of it."""

    # Every index is written again by each delivery's insert and updates (a fan-out of
    # 100,000 makes 300,000 such writes): the unique constraint below, which starts with the
    # notice, serves lookups by notice, and claims find their rows by id.
    notice = models.ForeignKey(
        "notifier.Notice", on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    channel = models.CharField(max_length=40)
    # Channel-specific: a subscriber or endpoint id, an account name, a mirror target.
    target = models.CharField(max_length=200)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # What the far end calls it (a post id to reply to, a Message-ID).
    reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=16, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "channel", "target"], name="one_delivery_per_target"
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target}: {self.state}"


class Expansion(models.Model):
    """A channel's audience (email subscribers, chat hooks, webhook endpoints) to turn into
    one delivery per recipient, done by a worker (notifier/expansion.py).

    The publish writes this one row, not 100,000 deliveries, so it commits at once and the
    first message leaves after the first chunk. `claimed_at` is the expanding worker's claim,
    renewed after each chunk; `done_at` is set when every recipient has a delivery.
    """

    notice = models.ForeignKey(
        "notifier.Notice", on_delete=models.CASCADE, related_name="expansions"
    )
    channel = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # The last delivery id handed to the broker: a re-run after a crash queues what follows.
    queued_through = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="one_expansion_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel} list of notice {self.notice_id}"
