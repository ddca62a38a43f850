"""Subscribers, webhook endpoints and the delivery ledger.

Publishing writes one Notice and one Delivery per target in the same
transaction as the domain change; workers only ever move Delivery rows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    REMINDER_NOTICE_KIND,
    Component,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    Post,
)
from notifier.outbound import validate_subscriber_url


def new_subscriber_key() -> str:
    return secrets.token_urlsafe(16)


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def following(self, component_ids: list[int]) -> SubscriberQuerySet:
        """Subscribers who chose every component, or one of these (none given: everybody)."""
        if not component_ids:
            return self
        return self.filter(Q(components=None) | Q(components__in=component_ids)).distinct()


class Subscriber(models.Model):
    """A reader who gets notices: the components chosen, and how to reach them.

    `email` is the email channel's address (empty for a reader reached only otherwise); every
    other channel's address is one of the reader's ContactPoints. Nothing is stored before a
    contact is confirmed, and leaving deletes the row with its contacts.
    """

    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    # Empty means every component.
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)
    # Names the reader's own page (notifier.signed_links.manage_token); a new key voids old links.
    key = models.CharField(max_length=32, default=new_subscriber_key, editable=False)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email or f"subscriber {self.pk}"

    @property
    def reachable(self) -> bool:
        """Whether any channel can still reach the reader (else the row serves nobody)."""
        return bool(self.email) or self.contact_points.exists()


class ContactPointQuerySet(models.QuerySet["ContactPoint"]):
    def audience(self, channel: str, component_ids: list[int]) -> ContactPointQuerySet:
        """A channel's contact points whose subscriber follows these components."""
        points = self.filter(channel=channel)
        if component_ids:
            followers = Subscriber.objects.following(component_ids).values("id")
            points = points.filter(subscriber_id__in=followers)
        return points


class ContactPoint(models.Model):
    """How a subscriber is reached on a channel other than email: a number, a chat, a browser.

    `address` is what the channel sends to (an E.164 number, an incoming-webhook URL, a
    Telegram chat id, a push endpoint); `details` holds only what the channel cannot send
    without (a push subscription's keys). Written once confirmed; deleted when the reader
    leaves or the far end says the contact is gone.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="contact_points"
    )
    channel = models.CharField(max_length=40)
    address = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    confirmed_at = models.DateTimeField(default=timezone.now)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="one_contact_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.shown_address}"

    @property
    def shown_address(self) -> str:
        """The address as the reader may see it. A URL (a chat hook, a push endpoint) is a
        secret in itself: only its host and its last four characters, to tell hooks apart."""
        if self.address.startswith(("https://", "http://")):
            host = urlsplit(self.address).netloc
            return f"{host}/…{self.address[-4:]}"
        return self.address if len(self.address) <= 48 else f"{self.address[:44]}…"


class Unsubscribed(models.Model):
    """An address that unsubscribed, kept as long as a confirmation link lives.

    A confirmation link issued before this moment no longer subscribes the address: each link
    stands for one request, and unsubscribing withdraws the requests made before it.
    """

    # An HMAC of the address (notifier.signed_links.address_key): no address is stored.
    key = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key[:12]


class RateLimitLog(models.Model):
    """When one client's recent requests under one limit were admitted (notifier/ratelimit.py)."""

    # An HMAC of the limit's name and the client's address: no address is stored.
    key = models.CharField(max_length=64, unique=True)
    hits = models.JSONField(default=list)  # POSIX times of the admitted requests in the window
    # When the newest of them leaves the window; the row is deleted after that.
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key[:12]


def new_secret() -> str:
    return secrets.token_hex(32)


def validate_webhook_url(value: str) -> None:
    """An http or https address with a host: nothing else can receive a POST."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValidationError(
            "Give a web address, such as https://hooks.example.com/status."
        ) from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("A webhook address starts with https:// (or http://).")
    if not host:
        raise ValidationError("Give the address a host, such as https://hooks.example.com/status.")


class WebhookEndpoint(models.Model):
    """A URL that receives every notice as JSON, signed with its own secret."""

    class Owner(models.TextChoices):
        STAFF = "staff", "Staff"
        SUBSCRIBER = "subscriber", "Subscriber"

    url = models.URLField(max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    owner = models.CharField(max_length=20, choices=Owner.choices, default=Owner.STAFF)
    contact_email = models.EmailField(blank=True, help_text="Told when the endpoint is disabled.")
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Written by the webhook channel: when it last answered 2xx, and the last try that failed.
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_failure_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_failure = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        # A subscriber's address is held to more at the edge than a staff one (and checked
        # again at every send, after resolving its name: notifier/outbound.py).
        if self.owner == self.Owner.SUBSCRIBER and self.url:
            try:
                validate_subscriber_url(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error.messages}) from None

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None

    def disable(self, reason: str) -> None:
        if self.disabled_at is None:
            self.disabled_at = timezone.now()
            self.disabled_reason = reason[:500]
            self.save(update_fields=["disabled_at", "disabled_reason"])

    def enable(self) -> None:
        """Take deliveries again, with a clean count of failures in a row."""
        self.disabled_at, self.disabled_reason, self.consecutive_failures = None, "", 0
        self.save(update_fields=["disabled_at", "disabled_reason", "consecutive_failures"])


class NoticeKind(models.TextChoices):
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_UPDATED = "incident.updated", "Incident updated"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", "Maintenance scheduled"
    MAINTENANCE_STARTED = "maintenance.started", "Maintenance started"
    MAINTENANCE_UPDATED = "maintenance.updated", "Maintenance updated"
    MAINTENANCE_COMPLETED = "maintenance.completed", "Maintenance completed"
    MAINTENANCE_POSTPONED = "maintenance.postponed", "Maintenance postponed"
    MAINTENANCE_RESCHEDULED = "maintenance.rescheduled", "Maintenance rescheduled"
    MAINTENANCE_CANCELLED = "maintenance.cancelled", "Maintenance cancelled"
    # Sent by the beat a set time before a window starts; no update of the window goes with it.
    MAINTENANCE_REMINDER = REMINDER_NOTICE_KIND, "Maintenance reminder"
    POST_PUBLISHED = "post.published", "Post published"
    COMPONENT_UPDATED = "component.updated", "Component status changed"

    @classmethod
    def for_incident(cls, status: str) -> NoticeKind:
        """The notice an incident update of `status` records (its opening has its own)."""
        return cls.INCIDENT_RESOLVED if status == IncidentStatus.RESOLVED else cls.INCIDENT_UPDATED

    @classmethod
    def for_maintenance(cls, status: str | None) -> NoticeKind:
        """The notice an act moving a window to `status` records (None: a note, which keeps
        the state; scheduling has its own)."""
        return MAINTENANCE_NOTICES.get(status or "", cls.MAINTENANCE_UPDATED)


MAINTENANCE_NOTICES: dict[str, NoticeKind] = {
    MaintenanceStatus.IN_PROGRESS: NoticeKind.MAINTENANCE_STARTED,
    MaintenanceStatus.VERIFYING: NoticeKind.MAINTENANCE_UPDATED,
    MaintenanceStatus.COMPLETED: NoticeKind.MAINTENANCE_COMPLETED,
    MaintenanceStatus.POSTPONED: NoticeKind.MAINTENANCE_POSTPONED,
    MaintenanceStatus.RESCHEDULED: NoticeKind.MAINTENANCE_RESCHEDULED,
    MaintenanceStatus.CANCELLED: NoticeKind.MAINTENANCE_CANCELLED,
}


class NoticeQuerySet(models.QuerySet["Notice"]):
    def with_tallies(self) -> list[Notice]:
        """The notices, each with its `delivery_tallies` counted for all of them at once."""
        notices = list(self)
        attach_tallies(notices)
        return notices


class Notice(models.Model):
    """One publish: what was said, about what, and which channels were asked to carry it."""

    kind = models.CharField(max_length=40, choices=NoticeKind.choices)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE)
    incident_update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE
    )
    maintenance = models.ForeignKey(Maintenance, null=True, blank=True, on_delete=models.CASCADE)
    maintenance_update = models.ForeignKey(
        MaintenanceUpdate, null=True, blank=True, on_delete=models.CASCADE
    )
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE)
    # A status set by staff with no incident or window (Statuspage's component_update).
    component = models.ForeignKey(Component, null=True, blank=True, on_delete=models.CASCADE)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    channels = models.JSONField(default=list, help_text="The channels asked to carry it.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("admin:notifier_notice_change", args=[self.pk])

    @property
    def subject(self) -> Incident | Maintenance | Post | Component:
        """What the notice is about (for threading and links)."""
        # Every notice is about one of the four (they are nullable only as a set).
        return self.incident or self.maintenance or self.post or self.component  # type: ignore[return-value]

    def component_ids(self) -> list[int]:
        """The components this notice is about (who subscribed to them hears of it)."""
        if self.incident_id and self.incident is not None:
            return list(self.incident.affected.values_list("component_id", flat=True))
        if self.maintenance_id and self.maintenance is not None:
            return list(self.maintenance.components.values_list("id", flat=True))
        if self.component_id:
            return [self.component_id]
        return []

    def _thread(self) -> tuple[str, int | None]:
        """The column naming this notice's thread (mail, X, Mastodon), and its value."""
        for column in ("incident_id", "maintenance_id", "component_id", "post_id"):
            if value := getattr(self, column):
                return column, value
        return "post_id", None

    def same_thread(self, prefix: str = "") -> Q:
        """A filter for the notices of this notice's thread (`prefix`: "notice__" from a
        delivery)."""
        column, value = self._thread()
        return Q(**{f"{prefix}{column}": value}) if value is not None else Q(pk__in=[])

    @property
    def thread_key(self) -> str:
        """Shared by every notice of one thread: 'incident-5', 'maintenance-2', ..."""
        column, value = self._thread()
        return f"{column.removesuffix('_id')}-{value}"

    @cached_property
    def delivery_tallies(self) -> list[ChannelTally]:
        """Where this notice stands on each channel (for many notices: `with_tallies()`)."""
        attach_tallies([self])
        return self.__dict__["delivery_tallies"]

    @property
    def deliveries_final(self) -> bool:
        """Whether nothing is left to send: every delivery sent or failed, every list expanded."""
        return all(tally.final for tally in self.delivery_tallies)


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
        Notice, on_delete=models.CASCADE, related_name="deliveries", db_index=False
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
    """A mailing list to turn into one delivery per subscriber, done by a worker.

    The publish writes this one row, not 100,000 deliveries, so it commits at once and the
    first mail leaves after the first chunk. `claimed_at` is the expanding worker's claim,
    renewed after each chunk; `done_at` is set when every subscriber has a delivery.
    """

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="expansions")
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


@dataclass
class ChannelTally:
    """One notice's deliveries over one channel, counted by state.

    `expanding`: the channel's mailing list is not yet fully written as deliveries, so
    more are on their way than the counts show (a list not started is all "pending").
    """

    channel: str
    states: dict[str, int] = field(
        default_factory=lambda: {state.value: 0 for state in DeliveryState}
    )
    expanding: bool = False
    # Of the failed: those a cost cap kept from being sent, rather than refused far away.
    held_back: int = 0

    @property
    def sent(self) -> int:
        return self.states[DeliveryState.SENT]

    @property
    def pending(self) -> int:
        """Not tried yet, or being sent by a worker right now."""
        return self.states[DeliveryState.PENDING] + self.states[DeliveryState.SENDING]

    @property
    def retrying(self) -> int:
        return self.states[DeliveryState.RETRYING]

    @property
    def failed(self) -> int:
        return self.states[DeliveryState.FAILED]

    @property
    def refused(self) -> int:
        """Failed, apart from those held back."""
        return self.failed - self.held_back

    @property
    def in_flight(self) -> int:
        return self.pending + self.retrying

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def final(self) -> bool:
        return not self.in_flight and not self.expanding


def attach_tallies(notices: list[Notice]) -> None:
    """Count the deliveries of all `notices` by channel and state in one grouped query.

    Every channel the notice was sent to gets a tally, even with no targets (a mailing
    list nobody subscribes to), so a channel never silently drops out of sight.
    """
    by_id = {notice.pk: notice for notice in notices}
    tallies: dict[int, dict[str, ChannelTally]] = {
        notice.pk: {name: ChannelTally(name) for name in notice.channels} for notice in notices
    }
    grouped = (
        Delivery.objects.filter(notice_id__in=by_id)
        .order_by()
        .values_list("notice_id", "channel", "state")
        .annotate(total=models.Count("id"))
    )
    for notice_id, channel, state, total in grouped:
        tallies[notice_id].setdefault(channel, ChannelTally(channel)).states[state] = total
    held = (
        Delivery.objects.filter(
            notice_id__in=by_id, state=DeliveryState.FAILED, last_error__startswith=HELD_BACK
        )
        .order_by()
        .values_list("notice_id", "channel")
        .annotate(total=models.Count("id"))
    )
    for notice_id, channel, total in held:
        tallies[notice_id].setdefault(channel, ChannelTally(channel)).held_back = total
    unexpanded = Expansion.objects.filter(notice_id__in=by_id, done_at=None)
    for notice_id, channel in unexpanded.values_list("notice_id", "channel"):
        tallies[notice_id].setdefault(channel, ChannelTally(channel)).expanding = True
    for notice_id, notice in by_id.items():
        notice.__dict__["delivery_tallies"] = list(tallies[notice_id].values())
