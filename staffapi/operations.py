"""The staff write API: each operation parses its body and calls one of actions.

Answers use the public v2 shapes, so what a monitor posts reads back the
way readers see it; maintenance adds its own lifecycle status (postponed,
rescheduled, cancelled) and calendar sequence, which the v2 words hide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.db import models

import actions
from incidents.api import serializers
from incidents.api.serializers import ComponentTree, parse_public_id
from incidents.models import (
    LONGEST_REMINDER_MINUTES,
    OPEN_INCIDENT_STATUSES,
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    Maintenance,
    Scope,
)
from staffapi.router import Call, Operation, Param, not_found
from staffapi.schema import (
    BadInput,
    Body,
    Boolean,
    Choice,
    Field,
    Integer,
    ListOf,
    MapOf,
    Markdown,
    Moment,
    Text,
)

M = TypeVar("M", bound=models.Model)

COMPONENT_ID = r"c[0-9]{1,18}"
INCIDENT = Param("incident_id", "i", 'An incident\'s id, as in the public API ("i45").')
MAINTENANCE = Param("maintenance_id", "m", 'A maintenance window\'s id ("m7").')
COMPONENT = Param("component_id", "c", 'A component\'s id ("c3").')

# Fields several bodies share.
BODY = Field("body", Markdown(20000, min_length=1), "The message readers see (Markdown).", True)
OPTIONAL_BODY = Field(
    "body", Markdown(20000), "The message readers see (Markdown); a default if empty."
)
DISPLAY_AT = Field(
    "display_at", Moment(), "The time shown with this update (default: now); for backfilling."
)
COMPONENT_STATUSES = Field(
    "components",
    MapOf(COMPONENT_ID, Choice(tuple(ComponentStatus.values))),
    'Components this update sets, by id: {"c3": "major_outage"}.',
)
PROMISE = (
    Field(
        "next_update_by",
        Moment(),
        "When readers may expect the next update, with its offset (within a week).",
    ),
    Field(
        "next_update_in_minutes",
        Integer(5, 24 * 60),
        "Or: the next update in this many minutes from now. Not with next_update_by.",
    ),
)
WINDOW = (
    Field("scheduled_for", Moment(), "When the window starts, with its offset.", True),
    Field("scheduled_until", Moment(), "When it ends (after it starts).", True),
)
REMINDER = Field(
    "remind_minutes_before",
    Integer(0, LONGEST_REMINDER_MINUTES),
    "Remind subscribers this many minutes before the start, once; 0: no reminder "
    "(default: the site's MAINTENANCE_REMINDER_MINUTES when scheduling, unchanged when "
    "rescheduling).",
)


def _get(queryset: models.QuerySet[M], param: Param, call: Call, what: str) -> M:
    pk = parse_public_id(param.kind, call.params[param.name])
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise not_found(what)
    return found


def _components(ids: list[str] | dict[str, Any], where: str) -> dict[str, Component]:
    """Components by their public id; an unknown one is a 400 naming it."""
    pks = {key: parse_public_id("c", key) for key in ids}
    found = Component.objects.in_bulk([pk for pk in pks.values() if pk is not None])
    for key, pk in pks.items():
        if pk not in found:
            raise BadInput(f"{where}.{key}", "There is no such component.")
    return {key: found[pk] for key, pk in pks.items() if pk is not None}


def _statuses(call: Call) -> dict[Component, str]:
    wanted = call.data.get("components", {})
    by_key = _components(wanted, "components")
    return {by_key[key]: status for key, status in wanted.items()}


def _promise(call: Call) -> datetime | None:
    """The promised next update from either field; none when neither is given."""
    by, minutes = call.data.get("next_update_by"), call.data.get("next_update_in_minutes")
    if by is not None and minutes is not None:
        raise BadInput("next_update_in_minutes", "Give next_update_by or this, not both.")
    if minutes is not None:
        return actions.promise_in(minutes)
    return by


def _incident_json(incident: Incident) -> dict[str, Any]:
    fresh = Incident.objects.with_timeline().get(pk=incident.pk)
    return serializers.incident(fresh, ComponentTree.load())


def _maintenance_json(maintenance: Maintenance) -> dict[str, Any]:
    fresh = Maintenance.objects.with_timeline().get(pk=maintenance.pk)
    data = serializers.maintenance(fresh, ComponentTree.load())
    return {
        **data,
        "lifecycle_status": fresh.status,
        "sequence": fresh.sequence,
        "remind_minutes_before": fresh.remind_minutes_before or 0,
        "reminder_at": serializers.api_time(fresh.reminder_at) if fresh.reminder_at else None,
        "reminder_sent": fresh.reminder_sent,
    }


# Token


def whoami(call: Call) -> tuple[int, Any]:
    token = call.token
    return 200, {
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "created_at": serializers.api_time(token.created_at),
        "last_used_at": serializers.api_time(token.last_used_at),
    }


# Incidents


def create_incident(call: Call) -> tuple[int, Any]:
    data = call.data
    incident = actions.open_incident(
        title=data["name"],
        body=data["body"],
        impact=data.get("impact", Impact.MINOR),
        status=data.get("status", IncidentStatus.INVESTIGATING),
        component_statuses=_statuses(call),
        posted_at=data.get("display_at"),
        started_at=data.get("started_at"),
        next_update_by=_promise(call),
        author=call.author,
    )
    return 201, _incident_json(incident)


def get_incident(call: Call) -> tuple[int, Any]:
    return 200, _incident_json(_get(Incident.objects.all(), INCIDENT, call, "incident"))


def post_incident_update(call: Call) -> tuple[int, Any]:
    incident = _get(Incident.objects.all(), INCIDENT, call, "incident")
    actions.post_incident_update(
        incident,
        status=call.data["status"],
        body=call.data["body"],
        component_statuses=_statuses(call),
        posted_at=call.data.get("display_at"),
        next_update_by=_promise(call),
        author=call.author,
    )
    return 201, _incident_json(incident)


def resolve_incident(call: Call) -> tuple[int, Any]:
    incident = _get(Incident.objects.all(), INCIDENT, call, "incident")
    actions.resolve_incident(
        incident, body=call.data["body"], posted_at=call.data.get("display_at"), author=call.author
    )
    return 200, _incident_json(incident)


# Components


def list_components(call: Call) -> tuple[int, Any]:
    return 200, ComponentTree.load().ordered


def set_component_status(call: Call) -> tuple[int, Any]:
    component = _get(Component.objects.all(), COMPONENT, call, "component")
    actions.set_component_status(component, call.data["status"], author=call.author)
    return 200, ComponentTree.load().by_pk[component.pk]


# Maintenance


def schedule_maintenance(call: Call) -> tuple[int, Any]:
    data = call.data
    components = _components(data.get("components", []), "components")
    maintenance = actions.schedule_maintenance(
        title=data["name"],
        body=data.get("body", ""),
        scheduled_start=data["scheduled_for"],
        scheduled_end=data["scheduled_until"],
        components=components.values(),
        posted_at=data.get("display_at"),
        author=call.author,
        auto_start=data.get("auto_start", True),
        auto_complete=data.get("auto_complete", True),
        **(
            {"remind_minutes_before": data["remind_minutes_before"]}
            if REMINDER.name in data
            else {}
        ),
    )
    return 201, _maintenance_json(maintenance)


def get_maintenance(call: Call) -> tuple[int, Any]:
    return 200, _maintenance_json(_get(Maintenance.objects.all(), MAINTENANCE, call, "window"))


def _move(act: Any, **extra: str) -> Any:
    """A handler that calls `act` on the maintenance in the path with body and display_at."""

    def handler(call: Call) -> tuple[int, Any]:
        maintenance = _get(Maintenance.objects.all(), MAINTENANCE, call, "window")
        arguments = {name: call.data[field] for name, field in extra.items() if field in call.data}
        act(
            maintenance,
            body=call.data.get("body", ""),
            posted_at=call.data.get("display_at"),
            author=call.author,
            **arguments,
        )
        return 200, _maintenance_json(maintenance)

    handler.__name__ = act.__name__
    return handler


def _body(name: str, *fields: Field, example: dict[str, object] | None = None) -> Body:
    return Body(name, fields, example or {})


OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/token",
        "getToken",
        "The token in use: its name, prefix, scopes and last use",
        None,
        whoami,
        "Token",
    ),
    Operation(
        "POST",
        "/incidents",
        "createIncident",
        "Open an incident with its first update",
        Scope.INCIDENTS,
        create_incident,
        "Incident",
        status=201,
        body=_body(
            "NewIncident",
            Field("name", Text(200, min_length=1), "The incident's title.", True),
            BODY,
            Field(
                "status",
                Choice(tuple(OPEN_INCIDENT_STATUSES)),
                "Where the work stands (default investigating).",
            ),
            Field("impact", Choice(tuple(Impact.values)), "How bad it is (default minor)."),
            COMPONENT_STATUSES,
            Field("started_at", Moment(), "When the problem began, if before the first update."),
            DISPLAY_AT,
            *PROMISE,
            example={
                "name": "Webmail logins fail",
                "body": "We are investigating failed logins to webmail.",
                "impact": "major",
                "components": {"c1": "partial_outage"},
            },
        ),
    ),
    Operation(
        "GET",
        "/incidents/{incident_id}",
        "getIncident",
        "An incident with its updates",
        Scope.READ,
        get_incident,
        "Incident",
        params=(INCIDENT,),
    ),
    Operation(
        "POST",
        "/incidents/{incident_id}/updates",
        "postIncidentUpdate",
        "Post an update (resolving returns components to operational unless told otherwise)",
        Scope.INCIDENTS,
        post_incident_update,
        "Incident",
        status=201,
        params=(INCIDENT,),
        conflicts=True,
        body=_body(
            "IncidentUpdate",
            Field("status", Choice(tuple(IncidentStatus.values)), "The new status.", True),
            BODY,
            COMPONENT_STATUSES,
            DISPLAY_AT,
            *PROMISE,
            example={
                "status": "identified",
                "body": "A certificate expired; renewing it.",
                "next_update_in_minutes": 30,
            },
        ),
    ),
    Operation(
        "POST",
        "/incidents/{incident_id}/resolve",
        "resolveIncident",
        "Resolve an incident; its components return to operational",
        Scope.INCIDENTS,
        resolve_incident,
        "Incident",
        params=(INCIDENT,),
        conflicts=True,
        body=_body("Resolution", BODY, DISPLAY_AT),
    ),
    Operation(
        "GET",
        "/components",
        "listComponents",
        "Every component and group, in page order",
        Scope.READ,
        list_components,
        "Component[]",
    ),
    Operation(
        "PATCH",
        "/components/{component_id}",
        "setComponentStatus",
        "Set a component's status",
        Scope.COMPONENTS,
        set_component_status,
        "Component",
        params=(COMPONENT,),
        body=_body(
            "ComponentStatusChange",
            Field("status", Choice(tuple(ComponentStatus.values)), "The new status.", True),
        ),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances",
        "scheduleMaintenance",
        "Schedule a maintenance window",
        Scope.MAINTENANCE,
        schedule_maintenance,
        "Maintenance",
        status=201,
        body=_body(
            "NewMaintenance",
            Field("name", Text(200, min_length=1), "The window's title.", True),
            OPTIONAL_BODY,
            *WINDOW,
            Field(
                "components",
                ListOf(Text(21, pattern=COMPONENT_ID)),
                "Components under maintenance while it is in progress, by id.",
            ),
            Field("auto_start", Boolean(), "Start on time by itself (default true)."),
            Field("auto_complete", Boolean(), "Complete at the end by itself (default true)."),
            REMINDER,
            DISPLAY_AT,
            example={
                "name": "Database replacement",
                "body": "We are replacing the database servers.",
                "scheduled_for": "2040-12-20T06:30:00+01:00",
                "scheduled_until": "2040-12-20T08:30:00+01:00",
                "components": ["c1"],
            },
        ),
    ),
    Operation(
        "GET",
        "/scheduled-maintenances/{maintenance_id}",
        "getMaintenance",
        "A maintenance window with its updates",
        Scope.READ,
        get_maintenance,
        "Maintenance",
        params=(MAINTENANCE,),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/start",
        "startMaintenance",
        "Start the work now (components go under maintenance)",
        Scope.MAINTENANCE,
        _move(actions.start_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceStart", OPTIONAL_BODY, DISPLAY_AT),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/updates",
        "postMaintenanceNote",
        "Post a further update that keeps the current state",
        Scope.MAINTENANCE,
        _move(actions.post_maintenance_note),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceNote", BODY, DISPLAY_AT),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/verify",
        "verifyMaintenance",
        "The work is done and being checked (components stay under maintenance)",
        Scope.MAINTENANCE,
        _move(actions.verify_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceVerification", OPTIONAL_BODY, DISPLAY_AT),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/complete",
        "completeMaintenance",
        "Complete the work (components are released)",
        Scope.MAINTENANCE,
        _move(actions.complete_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceCompletion", OPTIONAL_BODY, DISPLAY_AT),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/postpone",
        "postponeMaintenance",
        "Work started and was reverted; a new window follows with reschedule",
        Scope.MAINTENANCE,
        _move(actions.postpone_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenancePostponement", BODY, DISPLAY_AT),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/reschedule",
        "rescheduleMaintenance",
        "Move to a new window (the calendar entry keeps its UID, its SEQUENCE goes up)",
        Scope.MAINTENANCE,
        _move(
            actions.reschedule_maintenance,
            scheduled_start="scheduled_for",
            scheduled_end="scheduled_until",
            remind_minutes_before="remind_minutes_before",
        ),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceReschedule", *WINDOW, REMINDER, BODY, DISPLAY_AT),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/cancel",
        "cancelMaintenance",
        "Cancel the window",
        Scope.MAINTENANCE,
        _move(actions.cancel_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceCancellation", BODY, DISPLAY_AT),
    ),
]
