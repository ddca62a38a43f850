"""The staff API's operations: each one's path, scope, body and handler, declared once.

The router takes its URLs and checks from these, openapi.py the document; the handlers
(staffapi.handlers) call the actions.
"""

from __future__ import annotations

import actions
from incidents.models import (
    LONGEST_REMINDER_MINUTES,
    OPEN_INCIDENT_STATUSES,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Scope,
)
from staffapi import handlers
from staffapi.handlers import COMPONENT, INCIDENT, MAINTENANCE, move
from staffapi.router import Operation
from staffapi.schema import (
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
    Translations,
)

COMPONENT_ID = r"c[0-9]{1,18}"

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


def _translations(*texts: tuple[str, Text]) -> Field:
    names = " and ".join(name for name, _ in texts)
    shape = ", ".join(f'"{name}": "..."' for name, _ in texts)
    return Field(
        "translations",
        Translations(texts),
        f'The {names} in the site\'s other languages, by language: {{"nb": {{{shape}}}}}. '
        "Optional, as is each text (an empty one is none). The original is in the site's "
        "language (SITE_LANGUAGE); the keys are the other languages in SITE_LANGUAGES.",
    )


TITLE_TEXT, BODY_TEXT = ("title", Text(200)), ("body", Markdown(20000))
TRANSLATED_BODY = _translations(BODY_TEXT)


def _body(name: str, *fields: Field, example: dict[str, object] | None = None) -> Body:
    return Body(name, fields, example or {})


OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/token",
        "getToken",
        "The token in use: its name, prefix, scopes and last use",
        None,
        handlers.whoami,
        "Token",
    ),
    Operation(
        "POST",
        "/incidents",
        "createIncident",
        "Open an incident with its first update",
        Scope.INCIDENTS,
        handlers.create_incident,
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
            _translations(TITLE_TEXT, BODY_TEXT),
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
        handlers.get_incident,
        "Incident",
        params=(INCIDENT,),
    ),
    Operation(
        "POST",
        "/incidents/{incident_id}/updates",
        "postIncidentUpdate",
        "Post an update (resolving returns components to operational unless told otherwise)",
        Scope.INCIDENTS,
        handlers.post_incident_update,
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
            TRANSLATED_BODY,
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
        handlers.resolve_incident,
        "Incident",
        params=(INCIDENT,),
        conflicts=True,
        body=_body("Resolution", BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
    Operation(
        "GET",
        "/components",
        "listComponents",
        "Every component and group, in page order",
        Scope.READ,
        handlers.list_components,
        "Component[]",
    ),
    Operation(
        "PATCH",
        "/components/{component_id}",
        "setComponentStatus",
        "Set a component's status",
        Scope.COMPONENTS,
        handlers.set_component_status,
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
        handlers.schedule_maintenance,
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
            _translations(TITLE_TEXT, BODY_TEXT),
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
        handlers.get_maintenance,
        "Maintenance",
        params=(MAINTENANCE,),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/start",
        "startMaintenance",
        "Start the work now (components go under maintenance)",
        Scope.MAINTENANCE,
        move(actions.start_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceStart", OPTIONAL_BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/updates",
        "postMaintenanceNote",
        "Post a further update that keeps the current state",
        Scope.MAINTENANCE,
        move(actions.post_maintenance_note),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceNote", BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/verify",
        "verifyMaintenance",
        "The work is done and being checked (components stay under maintenance)",
        Scope.MAINTENANCE,
        move(actions.verify_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceVerification", OPTIONAL_BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/complete",
        "completeMaintenance",
        "Complete the work (components are released)",
        Scope.MAINTENANCE,
        move(actions.complete_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceCompletion", OPTIONAL_BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/postpone",
        "postponeMaintenance",
        "Work started and was reverted; a new window follows with reschedule",
        Scope.MAINTENANCE,
        move(actions.postpone_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenancePostponement", BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/reschedule",
        "rescheduleMaintenance",
        "Move to a new window (the calendar entry keeps its UID, its SEQUENCE goes up)",
        Scope.MAINTENANCE,
        move(
            actions.reschedule_maintenance,
            scheduled_start="scheduled_for",
            scheduled_end="scheduled_until",
            remind_minutes_before="remind_minutes_before",
        ),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceReschedule", *WINDOW, REMINDER, BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
    Operation(
        "POST",
        "/scheduled-maintenances/{maintenance_id}/cancel",
        "cancelMaintenance",
        "Cancel the window",
        Scope.MAINTENANCE,
        move(actions.cancel_maintenance),
        "Maintenance",
        params=(MAINTENANCE,),
        conflicts=True,
        body=_body("MaintenanceCancellation", BODY, DISPLAY_AT, TRANSLATED_BODY),
    ),
]
