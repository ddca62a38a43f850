"""Every write that touches several models, as one atomic function per act.

The admin, the staff console, the API, management commands and periodic
tasks all call these, so a rule (which components change, what the
lifecycle allows) is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Category,
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    InvalidTransition,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    Post,
    Tag,
)
from incidents.models.status import component_status_rank
from notifier.ledger import record_notice
from notifier.models import NoticeKind

ComponentStatuses = Mapping[Component, str]
# Which channels carry a publish: None for every one that fits, [] for none (backfill, demo).
Channels = Iterable[str] | None

MAINTENANCE_NOTICES = {
    MaintenanceStatus.IN_PROGRESS: NoticeKind.MAINTENANCE_STARTED,
    MaintenanceStatus.VERIFYING: NoticeKind.MAINTENANCE_UPDATED,
    MaintenanceStatus.COMPLETED: NoticeKind.MAINTENANCE_COMPLETED,
    MaintenanceStatus.POSTPONED: NoticeKind.MAINTENANCE_POSTPONED,
    MaintenanceStatus.RESCHEDULED: NoticeKind.MAINTENANCE_RESCHEDULED,
    MaintenanceStatus.CANCELLED: NoticeKind.MAINTENANCE_CANCELLED,
}
Author = AbstractBaseUser | None


def _validate_component_statuses(statuses: ComponentStatuses) -> None:
    for component, status in statuses.items():
        if status not in ComponentStatus.values:
            raise ValidationError(
                {"components": f"{status!r} is not a component status (for {component.name})."}
            )


def _later(current: datetime, candidate: datetime) -> datetime:
    return candidate if candidate > current else current


def _apply_component_statuses(statuses: ComponentStatuses) -> list[dict[str, object]]:
    changes: list[dict[str, object]] = []
    for component, new_status in statuses.items():
        component.refresh_from_db(fields=["status"])
        if component.status == new_status:
            continue
        changes.append(
            {
                "component_id": component.pk,
                "name": component.name,
                "old_status": component.status,
                "new_status": new_status,
            }
        )
        component.status = new_status
        component.save(update_fields=["status", "updated_at"])
    return changes


def _release_components(
    components: Iterable[Component], *, ignoring: Incident | Maintenance
) -> ComponentStatuses:
    """The statuses components fall back to once `ignoring` no longer holds them.

    A component still held by another open incident takes the worst status
    such incidents gave it; one in other active maintenance is under
    maintenance; one held by nothing is operational again.
    """
    components = list(components)
    component_ids = [c.pk for c in components]
    holders: dict[int, list[str]] = {pk: [] for pk in component_ids}
    incident_rows = IncidentComponent.objects.filter(
        component_id__in=component_ids, incident__status__in=OPEN_INCIDENT_STATUSES
    )
    maintenance_rows = Maintenance.components.through.objects.filter(
        component_id__in=component_ids, maintenance__status__in=ACTIVE_MAINTENANCE_STATUSES
    )
    if isinstance(ignoring, Incident):
        incident_rows = incident_rows.exclude(incident=ignoring)
    else:
        maintenance_rows = maintenance_rows.exclude(maintenance=ignoring)
    for component_id, status in incident_rows.values_list("component_id", "status"):
        holders[component_id].append(status)
    for component_id in maintenance_rows.values_list("component_id", flat=True):
        holders[component_id].append(ComponentStatus.UNDER_MAINTENANCE)
    return {
        c: max(holders[c.pk], key=component_status_rank, default=ComponentStatus.OPERATIONAL)
        for c in components
    }


# Incidents


@transaction.atomic
def open_incident(
    *,
    title: str,
    body: str,
    impact: str = Impact.MINOR,
    status: str = IncidentStatus.INVESTIGATING,
    component_statuses: ComponentStatuses | None = None,
    posted_at: datetime | None = None,
    started_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> Incident:
    """Open an incident with its first update and set the affected components' statuses.

    `started_at` is when the problem began, if earlier than the first update.
    """
    component_statuses = dict(component_statuses or {})
    posted_at = posted_at or timezone.now()
    started_at = started_at or posted_at
    if started_at > posted_at:
        raise ValidationError({"started_at": "An incident cannot start after its first update."})
    if not title.strip():
        raise ValidationError({"title": "An incident needs a title."})
    if impact not in Impact.values:
        raise ValidationError({"impact": f"{impact!r} is not an impact."})
    if status not in OPEN_INCIDENT_STATUSES:
        raise ValidationError(
            {"status": "A new incident starts as investigating, identified or monitoring."}
        )
    _validate_component_statuses(component_statuses)
    body = _required_body(body)
    incident = Incident.objects.create(
        title=title.strip(),
        impact=impact,
        status=status,
        started_at=started_at,
        monitoring_at=posted_at if status == IncidentStatus.MONITORING else None,
        created_at=posted_at,
        updated_at=posted_at,
    )
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=component, status=component_status)
        for component, component_status in component_statuses.items()
    )
    changes = _apply_component_statuses(component_statuses)
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        body=body,
        posted_at=posted_at,
        author=author,
        component_changes=changes,
    )
    record_notice(
        NoticeKind.INCIDENT_OPENED, channels=channels, incident=incident, incident_update=update
    )
    return incident


def _required_body(body: str) -> str:
    if not body or not body.strip():
        raise ValidationError({"body": "Write what is happening: the message cannot be empty."})
    return body.strip()


@transaction.atomic
def post_incident_update(
    incident: Incident,
    *,
    status: str,
    body: str,
    component_statuses: ComponentStatuses | None = None,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> IncidentUpdate:
    """Post an update. Resolving returns components to operational unless told otherwise."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    posted_at = posted_at or timezone.now()
    if status not in IncidentStatus.values:
        raise ValidationError({"status": f"{status!r} is not an incident status."})
    incident.check_transition(status)
    body = _required_body(body)
    component_statuses = dict(component_statuses or {})
    _validate_component_statuses(component_statuses)

    for component, component_status in component_statuses.items():
        IncidentComponent.objects.update_or_create(
            incident=incident, component=component, defaults={"status": component_status}
        )
    if status in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM) and incident.is_open:
        affected = [row.component for row in incident.affected.select_related("component")]
        released = _release_components(
            [c for c in affected if c not in component_statuses], ignoring=incident
        )
        component_statuses = {**released, **component_statuses}
    elif status in OPEN_INCIDENT_STATUSES and not incident.is_open:
        # Reopened: the components go back to what this incident gave them.
        restored = {
            row.component: row.status
            for row in incident.affected.select_related("component")
            if row.component not in component_statuses
        }
        component_statuses = {**restored, **component_statuses}
    changes = _apply_component_statuses(component_statuses)

    fields = ["status", "updated_at"]
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = posted_at
        fields.append("monitoring_at")
    if status == IncidentStatus.RESOLVED and incident.is_open:
        incident.resolved_at = posted_at
        fields.append("resolved_at")
    if status in OPEN_INCIDENT_STATUSES and not incident.is_open:
        incident.resolved_at = None
        fields.append("resolved_at")
    incident.status = status
    incident.updated_at = _later(incident.updated_at, posted_at)
    incident.save(update_fields=fields)
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        body=body,
        posted_at=posted_at,
        author=author,
        component_changes=changes,
    )
    kind = (
        NoticeKind.INCIDENT_RESOLVED
        if status == IncidentStatus.RESOLVED
        else NoticeKind.INCIDENT_UPDATED
    )
    record_notice(kind, channels=channels, incident=incident, incident_update=update)
    return update


def resolve_incident(
    incident: Incident,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> IncidentUpdate:
    return post_incident_update(
        incident,
        status=IncidentStatus.RESOLVED,
        body=body,
        posted_at=posted_at,
        author=author,
        channels=channels,
    )


@transaction.atomic
def set_component_status(component: Component, status: str) -> Component:
    _validate_component_statuses({component: status})
    _apply_component_statuses({component: status})
    component.refresh_from_db()
    return component


# Maintenance


def _validate_window(start: datetime, end: datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError({"scheduled_start": "Give the window with its time zone."})
    if end <= start:
        raise ValidationError({"scheduled_end": "The window must end after it starts."})


def _record_maintenance_update(
    maintenance: Maintenance, status: str, body: str, posted_at: datetime, author: Author
) -> MaintenanceUpdate:
    return MaintenanceUpdate.objects.create(
        maintenance=maintenance,
        status=status,
        body=body.strip(),
        posted_at=posted_at,
        window_start=maintenance.scheduled_start,
        window_end=maintenance.scheduled_end,
        author=author,
    )


def _locked(maintenance: Maintenance) -> Maintenance:
    return Maintenance.objects.select_for_update().get(pk=maintenance.pk)


def _move_maintenance(
    maintenance: Maintenance,
    status: str | None,
    *,
    body: str,
    posted_at: datetime | None,
    author: Author,
    channels: Channels = None,
    extra_fields: Mapping[str, object] | None = None,
) -> MaintenanceUpdate:
    """Change the state (None keeps the current one), set component statuses, record an update."""
    maintenance = _locked(maintenance)
    posted_at = posted_at or timezone.now()
    kind = MAINTENANCE_NOTICES.get(status or "", NoticeKind.MAINTENANCE_UPDATED)
    if status is None:
        status = maintenance.status
    else:
        maintenance.check_transition(status)
    fields = {"status": status, **(extra_fields or {})}
    for name, value in fields.items():
        setattr(maintenance, name, value)
    maintenance.updated_at = _later(maintenance.updated_at, posted_at)
    maintenance.save(update_fields=[*fields, "updated_at"])

    components = list(maintenance.components.all())
    if status in ACTIVE_MAINTENANCE_STATUSES:
        _apply_component_statuses({c: ComponentStatus.UNDER_MAINTENANCE for c in components})
    else:
        holding = [c for c in components if c.status == ComponentStatus.UNDER_MAINTENANCE]
        _apply_component_statuses(_release_components(holding, ignoring=maintenance))
    update = _record_maintenance_update(maintenance, status, body, posted_at, author)
    record_notice(kind, channels=channels, maintenance=maintenance, maintenance_update=update)
    return update


@transaction.atomic
def schedule_maintenance(
    *,
    title: str,
    body: str,
    scheduled_start: datetime,
    scheduled_end: datetime,
    components: Iterable[Component] = (),
    posted_at: datetime | None = None,
    author: Author = None,
    auto_start: bool = True,
    auto_complete: bool = True,
    channels: Channels = None,
) -> Maintenance:
    posted_at = posted_at or timezone.now()
    if not title.strip():
        raise ValidationError({"title": "A maintenance window needs a title."})
    _validate_window(scheduled_start, scheduled_end)
    maintenance = Maintenance.objects.create(
        title=title.strip(),
        body=body.strip(),
        scheduled_start=scheduled_start,
        scheduled_end=scheduled_end,
        auto_start=auto_start,
        auto_complete=auto_complete,
        created_at=posted_at,
        updated_at=posted_at,
    )
    maintenance.components.set(list(components))
    update = _record_maintenance_update(
        maintenance, MaintenanceStatus.SCHEDULED, "", posted_at, author
    )
    record_notice(
        NoticeKind.MAINTENANCE_SCHEDULED,
        channels=channels,
        maintenance=maintenance,
        maintenance_update=update,
    )
    return maintenance


@transaction.atomic
def start_maintenance(
    maintenance: Maintenance,
    *,
    body: str = "",
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> MaintenanceUpdate:
    posted_at = posted_at or timezone.now()
    return _move_maintenance(
        maintenance,
        MaintenanceStatus.IN_PROGRESS,
        body=body or "The maintenance has started.",
        posted_at=posted_at,
        author=author,
        channels=channels,
        extra_fields={"started_at": posted_at},
    )


@transaction.atomic
def post_maintenance_note(
    maintenance: Maintenance,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> MaintenanceUpdate:
    """A further update that keeps the current state (for example "import started")."""
    return _move_maintenance(
        maintenance,
        None,
        body=_required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
    )


@transaction.atomic
def complete_maintenance(
    maintenance: Maintenance,
    *,
    body: str = "",
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> MaintenanceUpdate:
    posted_at = posted_at or timezone.now()
    return _move_maintenance(
        maintenance,
        MaintenanceStatus.COMPLETED,
        body=body or "The maintenance has been completed.",
        posted_at=posted_at,
        author=author,
        channels=channels,
        extra_fields={"completed_at": posted_at},
    )


@transaction.atomic
def postpone_maintenance(
    maintenance: Maintenance,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> MaintenanceUpdate:
    """Work started and was reverted; a new window follows with reschedule_maintenance."""
    return _move_maintenance(
        maintenance,
        MaintenanceStatus.POSTPONED,
        body=_required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
    )


@transaction.atomic
def reschedule_maintenance(
    maintenance: Maintenance,
    *,
    scheduled_start: datetime,
    scheduled_end: datetime,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> MaintenanceUpdate:
    """Move to a new window; the old one stays in the history of updates."""
    _validate_window(scheduled_start, scheduled_end)
    current = _locked(maintenance)
    return _move_maintenance(
        current,
        MaintenanceStatus.RESCHEDULED,
        body=_required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
        extra_fields={
            "scheduled_start": scheduled_start,
            "scheduled_end": scheduled_end,
            "started_at": None,
            "sequence": current.sequence + 1,
        },
    )


@transaction.atomic
def cancel_maintenance(
    maintenance: Maintenance,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
) -> MaintenanceUpdate:
    return _move_maintenance(
        maintenance,
        MaintenanceStatus.CANCELLED,
        body=_required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
    )


def advance_maintenance(now: datetime | None = None) -> list[MaintenanceUpdate]:
    """Start windows that are due and complete those that have ended (the periodic task)."""
    now = now or timezone.now()
    updates = []
    for maintenance in Maintenance.objects.due_to_start(now):
        with suppress(InvalidTransition):  # another run, or staff, moved it first
            updates.append(
                start_maintenance(
                    maintenance,
                    body="The scheduled maintenance has started.",
                    posted_at=maintenance.scheduled_start,
                )
            )
    for maintenance in Maintenance.objects.due_to_complete(now):
        with suppress(InvalidTransition):
            updates.append(
                complete_maintenance(
                    maintenance,
                    body="The scheduled maintenance has been completed.",
                    posted_at=maintenance.scheduled_end,
                )
            )
    return updates


# Posts


@transaction.atomic
def publish_post(
    *,
    title: str,
    slug: str,
    body: str,
    published_at: datetime | None = None,
    categories: Iterable[Category] = (),
    tags: Iterable[Tag] = (),
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    author: Author = None,
    channels: Channels = None,
) -> Post:
    published_at = published_at or timezone.now()
    if not title.strip():
        raise ValidationError({"title": "A post needs a title."})
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValidationError(
            {"slug": "Use only letters, numbers, hyphens and underscores in the address."}
        ) from None
    if Post.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A post with the address {slug!r} already exists."})
    post = Post.objects.create(
        title=title.strip(),
        slug=slug,
        body=_required_body(body),
        published_at=published_at,
        incident=incident,
        maintenance=maintenance,
        author=author,
        created_at=published_at,
        updated_at=published_at,
    )
    post.categories.set(list(categories))
    post.tags.set(list(tags))
    if post.is_published:
        record_notice(NoticeKind.POST_PUBLISHED, channels=channels, post=post)
    return post
