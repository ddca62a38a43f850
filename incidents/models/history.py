"""A component's status over time, and its uptime per day.

Every change of a component's status closes its open `StatusPeriod` and opens the next,
in the transaction of the change, so the history is exact. `UptimeDay` rolls the periods
up per day in the site's zone (a DST day is 23 or 25 hours long) so the status page reads
90 rows per component whatever the length of the history. It keeps seconds per status,
not a percentage, so the weights of the published formula can change without a rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from incidents.models.components import Component, ComponentStatus
from incidents.models.incidents import Incident
from incidents.models.maintenance import Maintenance

if TYPE_CHECKING:
    from incidents.models.probes import Probe


class PeriodCause(models.TextChoices):
    INCIDENT = "incident", "Incident"
    MAINTENANCE = "maintenance", "Maintenance"
    STAFF = "staff", "Set by staff"
    PROBE = "probe", "Probe"


class OutOfOrderChange(ValidationError):
    """A status change dated before the component's last recorded change: nothing was written.

    The actions derive a status from the current one (what still holds a component), so a
    change cannot be slipped in before a later one without re-deriving all that followed:
    history is written in time order.
    """

    def __init__(self, component: Component, at: datetime, last_change: datetime):
        self.component = component
        super().__init__(
            {
                "posted_at": f"{component.name} last changed status at {last_change.isoformat()}; "
                f"a change dated {at.isoformat()} cannot come before it. Write history in "
                "time order."
            }
        )


class StatusPeriodQuerySet(models.QuerySet["StatusPeriod"]):
    def current(self) -> StatusPeriodQuerySet:
        return self.filter(ended_at__isnull=True)

    def last_change(self, components: Iterable[Component]) -> datetime | None:
        """When the last of these components changed status (None: no history yet)."""
        return (
            self.current()
            .filter(component__in=list(components))
            .aggregate(last=models.Max("started_at"))["last"]
        )

    def start_history(
        self, component: Component, status: str, *, before: datetime | None = None
    ) -> StatusPeriod | None:
        """A component without history gets its first period: `status` since it was created
        (or since `before`, if earlier: a backdated first change); None if it has history."""
        if self.filter(component=component).exists():
            return None
        started_at = component.created_at if before is None else min(component.created_at, before)
        return self.create(
            component=component, status=status, started_at=started_at, cause=PeriodCause.STAFF
        )

    def record_change(
        self,
        component: Component,
        status: str,
        *,
        at: datetime,
        cause: str,
        status_before: str,
        backdate_to: datetime | None = None,
        incident: Incident | None = None,
        maintenance: Maintenance | None = None,
        probe: Probe | None = None,
    ) -> StatusPeriod:
        """Close the component's current period and open one with `status`; the new period.

        It starts at `at`, or as early as `backdate_to` (an incident's start before its first
        update) but never before the current period. A component without history gets one
        first: `status_before` since it was created (start_history). Raises OutOfOrderChange
        when `at` is before the current period began.
        """
        earliest = min(at, backdate_to or at)
        self.start_history(component, status_before, before=earliest)
        current = self.select_for_update().get(component=component, ended_at=None)
        if at < current.started_at:
            raise OutOfOrderChange(component, at, current.started_at)
        start = max(earliest, current.started_at)
        what = {
            "status": status,
            "cause": cause,
            "incident": incident,
            "maintenance": maintenance,
            "probe": probe,
        }
        if start == current.started_at:  # an empty period says nothing: it takes the change
            for name, value in what.items():
                setattr(current, name, value)
            current.save(update_fields=list(what))
            return current
        current.ended_at = start
        current.save(update_fields=["ended_at"])
        return self.create(component=component, started_at=start, **what)

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
