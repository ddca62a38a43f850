"""An incident from another page's history, written whole in one act.

An import brings thousands of finished incidents. Replaying each update through
post_incident_update would move the live component statuses back and forth and cost some
forty queries per update; this act writes the incident, the statuses it gave its components
and every update in a handful of statements, checking the same lifecycle on the way. It
tells nobody and leaves the live component statuses alone: the importer sets them to what
the source shows now, once, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from actions.steps import Author, required_body, validate_component_statuses
from incidents.auditing import record_audit, snapshot
from incidents.models import (
    CLOSED_INCIDENT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
)


@dataclass(frozen=True)
class PastUpdate:
    status: str
    body: str
    posted_at: datetime
    component_statuses: Mapping[Component, str]


@transaction.atomic
def backfill_incident(
    *,
    title: str,
    impact: str,
    started_at: datetime,
    updates: Sequence[PastUpdate],
    author: Author = None,
) -> tuple[Incident, list[IncidentUpdate]]:
    """Write a past incident with its updates (oldest first); returns it and its updates."""
    if not updates:
        raise ValidationError({"updates": "An incident needs at least one update."})
    if not title.strip():
        raise ValidationError({"title": "An incident needs a title."})
    if impact not in Impact.values:
        raise ValidationError({"impact": f"{impact!r} is not an impact."})
    incident = Incident(
        title=title.strip(),
        impact=impact,
        status=updates[0].status,
        started_at=min(started_at, updates[0].posted_at),
        created_at=updates[0].posted_at,
        updated_at=updates[-1].posted_at,
    )
    given: dict[Component, str] = {}
    rows = [_replay(incident, update, given, first=i == 0) for i, update in enumerate(updates)]
    incident.save()  # its signal moves the publication token; the bulk writes send none
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=component, status=status)
        for component, status in given.items()
    )
    for row in rows:
        row.incident = incident
    IncidentUpdate.objects.bulk_create(rows)
    record_audit(
        "incident.imported", incident, actor=author, after=snapshot(incident, updates=len(rows))
    )
    return incident, rows


def _replay(
    incident: Incident, update: PastUpdate, given: dict[Component, str], *, first: bool
) -> IncidentUpdate:
    """Move `incident` (unsaved) by one update, as post_incident_update would; its row."""
    if update.status not in IncidentStatus.values:
        raise ValidationError({"status": f"{update.status!r} is not an incident status."})
    if not first:
        incident.check_transition(update.status)
    validate_component_statuses(update.component_statuses)
    changes: list[dict[str, object]] = []
    for component, status in update.component_statuses.items():
        old = given.get(component, ComponentStatus.OPERATIONAL)
        if old != status:
            changes.append(
                {
                    "component_id": component.pk,
                    "name": component.name,
                    "old_status": old,
                    "new_status": status,
                }
            )
        given[component] = status
    if update.status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = update.posted_at
    if update.status in CLOSED_INCIDENT_STATUSES and (first or incident.is_open):
        incident.resolved_at = update.posted_at
    if update.status in OPEN_INCIDENT_STATUSES:
        incident.resolved_at = None
    incident.status = update.status
    return IncidentUpdate(
        status=update.status,
        body=required_body(update.body),
        posted_at=update.posted_at,
        component_changes=changes,
    )
