"""Notices: one per publish, with what it says and how far its deliveries have gone.

Publishing writes one Notice and one Delivery per target (or, for a channel whose audience
may be long, one Expansion a worker turns into them) in the same transaction as the domain
change; workers only ever move Delivery rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.db import models
from django.db.models import Q
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
from notifier.models.deliveries import HELD_BACK, Delivery, DeliveryState, Expansion


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
        """The components this notice is about (who subscribed to them hears of it).

        Asked once per instance: a worker expanding a notice asks for every list and every
        chunk of it, two queries each time.
        """
        if not hasattr(self, "_component_ids"):
            self._component_ids = self._find_component_ids()
        return list(self._component_ids)

    def _find_component_ids(self) -> list[int]:
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


@dataclass
class ChannelTally:
    """One notice's deliveries over one channel, counted by state.

    `expanding`: the channel's audience is not yet fully written as deliveries, so
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

    Every channel the notice was sent to gets a tally, even with no targets (a channel
    nobody subscribes to), so a channel never silently drops out of sight.
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
