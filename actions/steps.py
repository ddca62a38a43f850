"""What the actions share: types, validation, and how component statuses move."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F

from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Component,
    ComponentStatus,
    Incident,
    IncidentComponent,
    Maintenance,
    Probe,
    StatusPeriod,
)
from incidents.models.status import component_status_rank
from incidents.uptime.days import refresh_uptime

ComponentStatuses = Mapping[Component, str]
# Which channels carry a publish: None for every one that fits, [] for none (backfill, demo).
Channels = Iterable[str] | None
# request.user as views hand it over; the actions store only an authenticated one.
Author = AbstractBaseUser | AnonymousUser | None


def validate_component_statuses(statuses: ComponentStatuses) -> None:
    for component, status in statuses.items():
        if status not in ComponentStatus.values:
            raise ValidationError(
                {"components": f"{status!r} is not a component status (for {component.name})."}
            )


def later(current: datetime, candidate: datetime) -> datetime:
    return candidate if candidate > current else current


def apply_component_statuses(
    statuses: ComponentStatuses,
    *,
    at: datetime,
    cause: str,
    backdate_to: datetime | None = None,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    probe: Probe | None = None,
) -> list[dict[str, object]]:
    """Set the statuses that differ, each with its period in the history; the changes made.

    `at`: when the change happened (the update's posted_at); `backdate_to`: an earlier
    start for the new periods where the history allows it (an incident's started_at).
    `cause` and the incident, maintenance or probe say what made the change. Raises
    OutOfOrderChange, writing nothing more, for a change dated before a component's last one.
    """
    changes: list[dict[str, object]] = []
    for component, new_status in statuses.items():
        component.refresh_from_db(fields=["status", "created_at"])
        if component.status == new_status:
            continue
        first = StatusPeriod.objects.start_history(
            component, component.status, before=min(at, backdate_to or at)
        )
        period = StatusPeriod.objects.record_change(
            component,
            new_status,
            at=at,
            cause=cause,
            status_before=component.status,
            backdate_to=backdate_to,
            incident=incident,
            maintenance=maintenance,
            probe=probe,
        )
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
        refresh_uptime([component.pk], (first or period).started_at)
    return changes


def release_components(
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


def required_body(body: str) -> str:
    if not body or not body.strip():
        raise ValidationError({"body": "Write what is happening: the message cannot be empty."})
    return body.strip()


class EditConflict(ValidationError):
    """Someone else changed the object since the editor loaded it; nothing was written."""

    def __init__(self, obj: models.Model, current_version: int):
        self.obj = obj
        self.current_version = current_version
        super().__init__(
            {"version": f"{obj} was changed by someone else while you were editing it."}
        )


def take_version(obj: Incident | Maintenance | models.Model, expected: int | None) -> int:
    """Move the object's version on; with `expected`, only if nobody moved it since.

    One conditional UPDATE, so two editors racing on any database get exactly
    one success, and the loser learns about it instead of overwriting.
    """
    model = type(obj)
    rows = model._default_manager.filter(pk=obj.pk)
    if expected is not None:
        rows = rows.filter(version=expected)
    if not rows.update(version=F("version") + 1):
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
        raise EditConflict(obj, current.first() or 0)
    return model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).get()
