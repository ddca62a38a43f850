"""JSON Schemas of Atlassian Statuspage's public v2 API, written from its documentation and
real pages, kept here apart from the code so a change of shape fails a test."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# "2013-01-25T00:45:00.000+01:00": milliseconds and the page zone's offset, as Statuspage writes.
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$"}
TIME_OR_NULL = {"anyOf": [TIME, {"type": "null"}]}
COMPONENT_STATUSES = [
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
]


def exactly(properties: dict[str, Schema], *optional: str) -> Schema:
    """An object with these keys (all required unless named optional) and no others."""
    return {
        "type": "object",
        "properties": properties,
        "required": [key for key in properties if key not in optional],
        "additionalProperties": False,
    }


PAGE = exactly(
    {
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "url": {"type": "string", "pattern": "^https?://"},
        "time_zone": {"type": "string"},
        "updated_at": TIME,
    }
)
STATUS = exactly(
    {
        # Statuspage documents four indicators and also sends "maintenance" while work is on.
        "indicator": {"enum": ["none", "minor", "major", "critical", "maintenance"]},
        "description": {"type": "string", "minLength": 1},
    }
)
COMPONENT = exactly(
    {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "status": {"enum": COMPONENT_STATUSES},
        "created_at": TIME,
        "updated_at": TIME,
        "position": {"type": "integer"},
        "description": {"type": ["string", "null"]},
        "showcase": {"type": "boolean"},
        "start_date": {"anyOf": [{"type": "null"}, {"type": "string", "format": "date"}]},
        "group_id": {"type": ["string", "null"]},
        "page_id": {"type": "string"},
        "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
        "components": {"type": "array", "items": {"type": "string"}},
    },
    "components",
)
AFFECTED_COMPONENT = exactly(
    {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "old_status": {"enum": COMPONENT_STATUSES},
        "new_status": {"enum": COMPONENT_STATUSES},
    }
)


def update(statuses: list[str]) -> Schema:
    return exactly(
        {
            "id": {"type": "string"},
            "status": {"enum": statuses},
            "body": {"type": "string"},
            "incident_id": {"type": "string"},
            "created_at": TIME,
            "updated_at": TIME,
            "display_at": TIME,
            "affected_components": {
                "anyOf": [{"type": "null"}, {"type": "array", "items": AFFECTED_COMPONENT}]
            },
            "deliver_notifications": {"type": "boolean"},
            "custom_tweet": {"type": ["string", "null"]},
            "tweet_id": {"type": ["string", "null"]},
        }
    )


INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved", "postmortem"]
MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]


def incident_like(statuses: list[str], impacts: list[str], **extra: Schema) -> Schema:
    return exactly(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "status": {"enum": statuses},
            "created_at": TIME,
            "updated_at": TIME,
            "monitoring_at": TIME_OR_NULL,
            "resolved_at": TIME_OR_NULL,
            "impact": {"enum": impacts},
            "shortlink": {"type": "string", "pattern": "^https?://"},
            "started_at": TIME,
            "page_id": {"type": "string"},
            "incident_updates": {"type": "array", "items": update(statuses), "minItems": 1},
            "components": {"type": "array", "items": COMPONENT},
            **extra,
        }
    )


INCIDENT = incident_like(INCIDENT_STATUSES, ["none", "minor", "major", "critical"])
MAINTENANCE = incident_like(
    MAINTENANCE_STATUSES, ["maintenance"], scheduled_for=TIME, scheduled_until=TIME
)


def listing(key: str, item: Schema, statuses: list[str] | None = None) -> Schema:
    items = (
        item
        if statuses is None
        else {"allOf": [item, {"properties": {"status": {"enum": statuses}}}]}
    )
    return exactly({"page": PAGE, key: {"type": "array", "items": items}})


ENDPOINTS: dict[str, Schema] = {
    "summary.json": exactly(
        {
            "page": PAGE,
            "components": {"type": "array", "items": COMPONENT},
            "incidents": {
                "type": "array",
                "items": {
                    "allOf": [
                        INCIDENT,
                        {"properties": {"status": {"enum": INCIDENT_STATUSES[:3]}}},
                    ]
                },
            },
            "scheduled_maintenances": {
                "type": "array",
                "items": {
                    "allOf": [
                        MAINTENANCE,
                        {"properties": {"status": {"enum": MAINTENANCE_STATUSES[:3]}}},
                    ]
                },
            },
            "status": STATUS,
        }
    ),
    "status.json": exactly({"page": PAGE, "status": STATUS}),
    "components.json": exactly({"page": PAGE, "components": {"type": "array", "items": COMPONENT}}),
    "incidents.json": listing("incidents", INCIDENT),
    "incidents/unresolved.json": listing("incidents", INCIDENT, INCIDENT_STATUSES[:3]),
    "scheduled-maintenances.json": listing("scheduled_maintenances", MAINTENANCE),
    "scheduled-maintenances/upcoming.json": listing(
        "scheduled_maintenances", MAINTENANCE, ["scheduled"]
    ),
    "scheduled-maintenances/active.json": listing(
        "scheduled_maintenances", MAINTENANCE, ["in_progress", "verifying"]
    ),
}

# The order Statuspage writes the keys in (a few clients read the JSON as a stream).
KEY_ORDER = {
    "summary.json": ["page", "components", "incidents", "scheduled_maintenances", "status"],
    "status.json": ["page", "status"],
    "components.json": ["page", "components"],
    "incidents.json": ["page", "incidents"],
    "incidents/unresolved.json": ["page", "incidents"],
    "scheduled-maintenances.json": ["page", "scheduled_maintenances"],
    "scheduled-maintenances/upcoming.json": ["page", "scheduled_maintenances"],
    "scheduled-maintenances/active.json": ["page", "scheduled_maintenances"],
}
