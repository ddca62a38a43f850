from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from incidents.models.components import Component, ComponentStatus, page_order
from incidents.models.translations import ChoiceLabels, Translatable
from statuspage.reversing import reversed_url


class Impact(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    POSTMORTEM = "postmortem", _("Postmortem")


OPEN_INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)
CLOSED_INCIDENT_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM)


class InvalidTransition(ValueError):
    """A status change the lifecycle does not allow; the message says why."""


class IncidentQuerySet(models.QuerySet["Incident"]):
    def unresolved(self) -> IncidentQuerySet:
        return self.filter(status__in=OPEN_INCIDENT_STATUSES)

    def resolved(self) -> IncidentQuerySet:
        return self.filter(status__in=CLOSED_INCIDENT_STATUSES)

    def with_timeline(self) -> IncidentQuerySet:
        return self.prefetch_related(
            models.Prefetch(
                "updates",
                # notified: how many notices told subscribers of the update (notifier's rows).
                queryset=IncidentUpdate.objects.annotate(notified=models.Count("notice")).order_by(
                    "-posted_at", "-id"
                ),
            ),
            models.Prefetch(
                "affected",
                queryset=IncidentComponent.objects.select_related("component").order_by(
                    *page_order("component__")
                ),
            ),
        )

    def since(self, moment: datetime) -> IncidentQuerySet:
        """Incidents that were open at any time after `moment`."""
        return self.filter(models.Q(resolved_at__isnull=True) | models.Q(resolved_at__gte=moment))

    def with_promise(self) -> IncidentQuerySet:
        """Annotate `promised_by`: the next update the latest update promised (or None)."""
        latest = IncidentUpdate.objects.filter(incident=models.OuterRef("pk")).order_by(
            "-posted_at", "-id"
        )
        return self.annotate(
            promised_by=models.Subquery(latest.values("next_update_by")[:1]),
            promise_update_id=models.Subquery(latest.values("id")[:1]),
        )

    def overdue(self, now: datetime) -> IncidentQuerySet:
        """Unresolved incidents whose latest update promised another before `now`."""
        # promised_by is annotated by with_promise(); the plugin cannot follow it there.
        return self.unresolved().with_promise().filter(promised_by__lt=now)  # type: ignore[misc]


class Incident(Translatable):
    TRANSLATED_FIELDS = ("title",)

    # Allowed status changes, in one place. Posting an update with the same
    # status is always allowed; a resolved incident may be reopened.
    TRANSITIONS: dict[str, frozenset[str]] = {
        IncidentStatus.INVESTIGATING: frozenset(
            {IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING, IncidentStatus.RESOLVED}
        ),
        IncidentStatus.IDENTIFIED: frozenset(
            {IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING, IncidentStatus.RESOLVED}
        ),
        IncidentStatus.MONITORING: frozenset(
            {IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.RESOLVED}
        ),
        IncidentStatus.RESOLVED: frozenset(
            {
                IncidentStatus.POSTMORTEM,
                IncidentStatus.INVESTIGATING,
                IncidentStatus.IDENTIFIED,
                IncidentStatus.MONITORING,
            }
        ),
        IncidentStatus.POSTMORTEM: frozenset(),
    }

    title = models.CharField(max_length=200)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MINOR)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    components: models.ManyToManyField[Component, IncidentComponent] = models.ManyToManyField(
        Component, through="IncidentComponent", related_name="incidents", blank=True
    )
    started_at = models.DateTimeField(default=timezone.now)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Moved by every act; an edit made against an older version is refused (EditConflict).
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reversed_url("incident_detail", [self.pk])

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCIDENT_STATUSES

    @property
    def duration(self) -> timedelta | None:
        if self.resolved_at is None:
            return None
        return self.resolved_at - self.started_at

    def check_transition(self, new_status: str) -> None:
        if new_status == self.status:
            return
        if new_status not in self.TRANSITIONS.get(self.status, frozenset()):
            raise InvalidTransition(
                f"An incident that is {self.get_status_display().lower()} cannot become "
                f"{IncidentStatus(new_status).label.lower()}."
            )

    def timeline(self) -> list[IncidentUpdate]:
        """Updates newest first (uses the prefetch from with_timeline when present)."""
        return list(self.updates.all())

    def latest_update(self) -> IncidentUpdate | None:
        updates = self.timeline()
        return updates[0] if updates else None

    def affected_components(self) -> list[IncidentComponent]:
        """The affected components in the status page's order (with_timeline's prefetch has it)."""
        if "affected" in getattr(self, "_prefetched_objects_cache", {}):
            return list(self.affected.all())
        rows = self.affected.select_related("component").order_by(*page_order("component__"))
        return list(rows)

    def promised_update(self) -> IncidentUpdate | None:
        """The latest update, when it promises a next one and the incident is still open."""
        latest = self.latest_update()
        if not self.is_open or latest is None or latest.next_update_by is None:
            return None
        return latest

    def update_overdue_by(self, now: datetime | None = None) -> timedelta | None:
        """How long past its promised time the next update is, or None if it is not late."""
        promised = self.promised_update()
        if promised is None or promised.next_update_by is None:
            return None
        late = (now or timezone.now()) - promised.next_update_by
        return late if late > timedelta(0) else None


class IncidentComponent(ChoiceLabels):
    """A component an incident affects, with the status the incident gave it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=30, choices=ComponentStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "component"], name="one_row_per_component")
        ]
        ordering = ["component__position", "component__name"]

    def __str__(self) -> str:
        return f"{self.component}: {self.get_status_display()}"


class IncidentUpdate(Translatable):
    TRANSLATED_FIELDS = ("body",)

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=IncidentStatus.choices)
    body = models.TextField()
    posted_at = models.DateTimeField(
        default=timezone.now, help_text="The time shown with the update; editable for backfill."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # What this update changed, as posted: component_id, name, old_status, new_status.
    component_changes = models.JSONField(default=list, blank=True)
    # When staff said they would write again; shown to readers, watched on the dashboard.
    next_update_by = models.DateTimeField(null=True, blank=True)
    # One staff alert per missed promise, per route; cleared again if the send fails.
    overdue_mailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_webhook_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-posted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.incident}: {self.get_status_display()} at {self.posted_at:%Y-%m-%d %H:%M}"

    def listed_changes(self) -> list[dict[str, object]]:
        """component_changes in the status page's order, whatever order they were posted in.

        Every changed component is one the incident affects, so the incident's
        rows give the order; a change naming no known component goes last.
        """
        rows = self.incident.affected_components()
        order = {row.component_id: position for position, row in enumerate(rows)}
        return sorted(
            self.component_changes or [],
            key=lambda change: order.get(change.get("component_id"), len(order)),
        )
