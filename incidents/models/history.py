"""A component's status over time, and its uptime per day.

Every change of a component's status closes its open `StatusPeriod` and opens the next,
in the transaction of the change, so the history is exact. `UptimeDay` rolls the periods
up per day in the site's zone (a DST day is 23 or 25 hours long) so the status page reads
90 rows per component whatever the length of the history. It keeps seconds per status,
not a percentage, so the weights of the published formula can change without a rebuild.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from incidents.models.components import Component, ComponentStatus
from incidents.models.incidents import Incident
from incidents.models.maintenance import Maintenance


class PeriodCause(models.TextChoices):
    INCIDENT = "incident", "Incident"
    MAINTENANCE = "maintenance", "Maintenance"
    STAFF = "staff", "Set by staff"
    PROBE = "probe", "Probe"


class StatusPeriodQuerySet(models.QuerySet["StatusPeriod"]):
    def current(self) -> StatusPeriodQuerySet:
        return self.filter(ended_at__isnull=True)

    def overlapping(self, start: datetime, end: datetime) -> StatusPeriodQuerySet:
        """Periods that cover any part of [start, end)."""
        return self.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start), started_at__lt=end)


class StatusPeriod(models.Model):
    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="status_periods"
    )
    status = models.CharField(max_length=30, choices=ComponentStatus.choices)
    started_at = models.DateTimeField()
    # None while it is the component's current status.
    ended_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=20, choices=PeriodCause.choices)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    maintenance = models.ForeignKey(
        Maintenance, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    probe = models.ForeignKey(
        "incidents.Probe", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = StatusPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["component", "started_at", "pk"]
        indexes = [models.Index(fields=["component", "started_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["component"],
                condition=Q(ended_at__isnull=True),
                name="one_current_period_per_component",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="period_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.status} from {self.started_at:%Y-%m-%d %H:%M}"


class UptimeDay(models.Model):
    """One component's day in the site's zone: how many of its seconds were in each status.

    `observed_seconds` counts the part of the day the history covers (not before the
    component existed, not in the future); the status columns are parts of it.
    """

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="uptime_days")
    day = models.DateField()
    observed_seconds = models.PositiveIntegerField(default=0)
    major_outage_seconds = models.PositiveIntegerField(default=0)
    partial_outage_seconds = models.PositiveIntegerField(default=0)
    degraded_performance_seconds = models.PositiveIntegerField(default=0)
    under_maintenance_seconds = models.PositiveIntegerField(default=0)
    worst_status = models.CharField(
        max_length=30, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    # The incidents that touched the component that day, for the bar's text and links.
    incident_ids = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["component", "day"]
        constraints = [
            models.UniqueConstraint(fields=["component", "day"], name="one_uptime_row_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.day}"
