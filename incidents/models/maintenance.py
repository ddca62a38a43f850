from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from incidents.models.components import Component, page_order
from incidents.models.incidents import InvalidTransition
from incidents.models.translations import Translatable
from statuspage.reversing import reversed_url


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    VERIFYING = "verifying", _("Verifying")
    COMPLETED = "completed", _("Completed")
    # Work started and was reverted; a new window is not yet known.
    POSTPONED = "postponed", _("Postponed")
    # Moved to a new window; the earlier windows stay in the update history.
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")


UPCOMING_MAINTENANCE_STATUSES = (MaintenanceStatus.SCHEDULED, MaintenanceStatus.RESCHEDULED)
ACTIVE_MAINTENANCE_STATUSES = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)
FINISHED_MAINTENANCE_STATUSES = (MaintenanceStatus.COMPLETED, MaintenanceStatus.CANCELLED)
# A reminder further ahead than a week is an announcement, not a reminder.
LONGEST_REMINDER_MINUTES = 7 * 24 * 60
# The notifier's kind for a reminder (notifier.models.NoticeKind): its notice points at the
# update then current, and tells nobody of that update.
REMINDER_NOTICE_KIND = "maintenance.reminder"


def default_reminder_minutes() -> int | None:
    """A new window's reminder lead from MAINTENANCE_REMINDER_MINUTES (0: none)."""
    return settings.MAINTENANCE_REMINDER_MINUTES or None


class MaintenanceQuerySet(models.QuerySet["Maintenance"]):
    def upcoming(self) -> MaintenanceQuerySet:
        return self.filter(status__in=UPCOMING_MAINTENANCE_STATUSES).order_by("scheduled_start")

    def active(self) -> MaintenanceQuerySet:
        return self.filter(status__in=ACTIVE_MAINTENANCE_STATUSES).order_by("scheduled_start")

    def awaiting_new_window(self) -> MaintenanceQuerySet:
        return self.filter(status=MaintenanceStatus.POSTPONED).order_by("-updated_at")

    def due_to_start(self, now: datetime) -> MaintenanceQuerySet:
        return self.filter(
            status__in=UPCOMING_MAINTENANCE_STATUSES, auto_start=True, scheduled_start__lte=now
        )

    def due_to_complete(self, now: datetime) -> MaintenanceQuerySet:
        return self.filter(
            status__in=ACTIVE_MAINTENANCE_STATUSES, auto_complete=True, scheduled_end__lte=now
        )

    def due_for_reminder(self, now: datetime) -> list[Maintenance]:
        """Upcoming windows whose reminder time has come, not yet reminded of their current start.

        A window that has already started is never reminded late: its start notice says it.
        """
        candidates = self.filter(
            status__in=UPCOMING_MAINTENANCE_STATUSES,
            remind_minutes_before__gt=0,
            scheduled_start__gt=now,
            scheduled_start__lte=now + timedelta(minutes=LONGEST_REMINDER_MINUTES),
        ).exclude(reminded_for=models.F("scheduled_start"))
        return [m for m in candidates.order_by("scheduled_start", "pk") if m.reminder_due(now)]

    def with_components(self) -> MaintenanceQuerySet:
        """The affected components prefetched in the status page's order."""
        ordered = Component.objects.order_by(*page_order())
        return self.prefetch_related(models.Prefetch("components", queryset=ordered))

    def with_timeline(self) -> MaintenanceQuerySet:
        return self.with_components().prefetch_related(
            models.Prefetch(
                "updates",
                queryset=MaintenanceUpdate.objects.annotate(
                    notified=models.Count(
                        "notice", filter=~models.Q(notice__kind=REMINDER_NOTICE_KIND)
                    )
                ).order_by("-posted_at", "-id"),
            ),
        )


class Maintenance(Translatable):
    TRANSLATED_FIELDS = ("title", "body")

    TRANSITIONS: dict[str, frozenset[str]] = {
        MaintenanceStatus.SCHEDULED: frozenset(
            {
                MaintenanceStatus.IN_PROGRESS,
                MaintenanceStatus.RESCHEDULED,
                MaintenanceStatus.CANCELLED,
            }
        ),
        MaintenanceStatus.RESCHEDULED: frozenset(
            {
                MaintenanceStatus.IN_PROGRESS,
                MaintenanceStatus.RESCHEDULED,
                MaintenanceStatus.CANCELLED,
            }
        ),
        MaintenanceStatus.IN_PROGRESS: frozenset(
            {
                MaintenanceStatus.VERIFYING,
                MaintenanceStatus.COMPLETED,
                MaintenanceStatus.POSTPONED,
            }
        ),
        MaintenanceStatus.VERIFYING: frozenset(
            {
                MaintenanceStatus.IN_PROGRESS,
                MaintenanceStatus.COMPLETED,
                MaintenanceStatus.POSTPONED,
            }
        ),
        MaintenanceStatus.POSTPONED: frozenset(
            {MaintenanceStatus.RESCHEDULED, MaintenanceStatus.CANCELLED}
        ),
        MaintenanceStatus.COMPLETED: frozenset(),
        MaintenanceStatus.CANCELLED: frozenset(),
    }
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown: what, why, what you can do.")
    status = models.CharField(
        max_length=20, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    components = models.ManyToManyField(Component, related_name="maintenances", blank=True)
    scheduled_start = models.DateTimeField()
    scheduled_end = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    auto_start = models.BooleanField(default=True)
    auto_complete = models.BooleanField(default=True)
    # Bumped on every reschedule and on cancellation (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    # Minutes before the start the subscribers are reminded; null: no reminder.
    remind_minutes_before = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=default_reminder_minutes,
        validators=[MaxValueValidator(LONGEST_REMINDER_MINUTES)],
    )
    # The start the reminder went out for: a window moved to another start is due again.
    reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Moved by every act; an edit made against an older version is refused (EditConflict).
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = MaintenanceQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_start", "-id"]
        verbose_name_plural = "maintenance windows"
        indexes = [models.Index(fields=["status", "scheduled_start"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reversed_url("maintenance_detail", [self.pk])

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def duration(self) -> timedelta:
        return self.scheduled_end - self.scheduled_start

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE_STATUSES

    @property
    def is_upcoming(self) -> bool:
        return self.status in UPCOMING_MAINTENANCE_STATUSES

    @property
    def reminder_at(self) -> datetime | None:
        """When the reminder for the current start goes out (None: no reminder set)."""
        if not self.remind_minutes_before:
            return None
        return self.scheduled_start - timedelta(minutes=self.remind_minutes_before)

    @property
    def reminder_sent(self) -> bool:
        """Whether the reminder for the current start has gone out."""
        return self.reminded_for is not None and self.reminded_for == self.scheduled_start

    def reminder_due(self, now: datetime) -> bool:
        reminder_at = self.reminder_at
        return (
            self.is_upcoming
            and reminder_at is not None
            and reminder_at <= now < self.scheduled_start
            and not self.reminder_sent
        )

    def check_transition(self, new_status: str) -> None:
        """Refuse a change the lifecycle does not allow (a note keeps the state and needs none)."""
        if new_status not in self.TRANSITIONS.get(self.status, frozenset()):
            raise InvalidTransition(
                f"Maintenance that is {self.get_status_display().lower()} cannot become "
                f"{MaintenanceStatus(new_status).label.lower()}."
            )

    def timeline(self) -> list[MaintenanceUpdate]:
        return list(self.updates.all())

    def affected_components(self) -> list[Component]:
        """The components this window covers, in the status page's order."""
        if "components" in getattr(self, "_prefetched_objects_cache", {}):
            return list(self.components.all())  # with_components' order
        return list(self.components.order_by(*page_order()))

    def announced_window(self) -> tuple[datetime, datetime]:
        """The window the announcement (the body) was written for: the first one posted."""
        for update in reversed(self.timeline()):
            if update.window_start is not None and update.window_end is not None:
                return (update.window_start, update.window_end)
        return (self.scheduled_start, self.scheduled_end)

    def announcement_superseded(self) -> bool:
        """The body's dates no longer hold: the window moved, or the work awaits a new one."""
        if self.status == MaintenanceStatus.POSTPONED:
            return True
        return self.announced_window() != (self.scheduled_start, self.scheduled_end)

    def earlier_windows(self) -> list[tuple[datetime, datetime]]:
        """Windows this maintenance was scheduled for before its current one, oldest first."""
        windows: list[tuple[datetime, datetime]] = []
        for update in reversed(self.timeline()):
            if update.window_start is None or update.window_end is None:
                continue
            window = (update.window_start, update.window_end)
            if window != (self.scheduled_start, self.scheduled_end) and window not in windows:
                windows.append(window)
        return windows


class MaintenanceUpdate(Translatable):
    TRANSLATED_FIELDS = ("body",)

    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=MaintenanceStatus.choices)
    body = models.TextField(blank=True)
    posted_at = models.DateTimeField(default=timezone.now)
    # The window in force when this update was posted, so reschedules keep their history.
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    # What this update changed, as posted: component_id, name, old_status, new_status.
    component_changes = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-posted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.maintenance}: {self.get_status_display()} at {self.posted_at:%Y-%m-%d %H:%M}"
