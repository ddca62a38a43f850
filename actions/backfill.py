"""Incidents from another page's history, written whole in one act.

An import brings thousands of finished incidents. Replaying each update through
post_incident_update would move the live component statuses back and forth and cost some
forty queries per update; this act writes a batch of incidents, the statuses each gave its
components and every update in a handful of statements, checking the same lifecycle on the
way (each update replayed as post_incident_update would take it). It
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
    InvalidTransition,
    PublicationState,
)


@dataclass(frozen=True)
class PastUpdate:
    status: str
    body: str
    posted_at: datetime
    component_statuses: Mapping[Component, str]


@dataclass(frozen=True)
class PastIncident:
    title: str
    impact: str
    started_at: datetime
    updates: Sequence[PastUpdate]  # oldest first


class PastIncidentRefused(ValidationError):
    """One incident of a batch breaks a rule; `index` says which. Nothing was written."""

    def __init__(self, index: int, error: ValidationError):
        self.index = index
        super().__init__(error.messages)


@transaction.atomic
def backfill_incidents(
    past: Sequence[PastIncident], *, author: Author = None
) -> list[tuple[Incident, list[IncidentUpdate]]]:
    """Write past incidents with their updates; returns each with its updates, in order."""
    written = []
    for index, one in enumerate(past):
        try:
            written.append(_replay_incident(one))
        except ValidationError as error:
            raise PastIncidentRefused(index, error) from None
        except InvalidTransition as error:
            raise PastIncidentRefused(index, ValidationError(str(error))) from None
    incidents = Incident.objects.bulk_create([incident for incident, _, _ in written])
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=component, status=status)
        for incident, given, _ in written
        for component, status in given.items()
    )
    for incident, _, rows in written:
        for row in rows:
            row.incident = incident
    IncidentUpdate.objects.bulk_create([row for _, _, rows in written for row in rows])
    for incident, _, rows in written:
        record_audit(
            "incident.imported", incident, actor=author, after=snapshot(incident, updates=len(rows))
        )
    if incidents:
        PublicationState.bump()  # bulk writes send no signal
    return [(incident, rows) for incident, _, rows in written]


def _replay_incident(
    one: PastIncident,
) -> tuple[Incident, dict[Component, str], list[IncidentUpdate]]:
    """The incident (unsaved) as its updates leave it, the statuses it gave, its update rows."""
    updates = one.updates
    if not updates:
        raise ValidationError({"updates": "An incident needs at least one update."})
    if not one.title.strip():
        raise ValidationError({"title": "An incident needs a title."})
    if one.impact not in Impact.values:
        raise ValidationError({"impact": f"{one.impact!r} is not an impact."})
    incident = Incident(
        title=one.title.strip(),
        impact=one.impact,
        status=updates[0].status,
        started_at=min(one.started_at, updates[0].posted_at),
        created_at=updates[0].posted_at,
        updated_at=updates[-1].posted_at,
    )
    given: dict[Component, str] = {}
    rows = [_replay(incident, update, given, first=i == 0) for i, update in enumerate(updates)]
    return incident, given, rows


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
