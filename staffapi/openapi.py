"""The staff API's OpenAPI 3.1 document, generated from the operations and body declarations."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from incidents.api.public import json_bytes
from incidents.models import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus, Scope
from staffapi.router import Operation

API_ROOT = "/api/staff/v1"
Schema = dict[str, Any]

TIME: Schema = {"type": "string", "format": "date-time"}
TIME_OR_NULL: Schema = {"type": ["string", "null"], "format": "date-time"}
V2_MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]
# Beside the v2 fields: the language a row was written in and its texts in the others.
LANGUAGES: dict[str, Schema] = {
    "language": {"type": "string", "description": "The language it was written in."},
    "translations": {
        "type": "object",
        "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": 'Its texts in the other languages: {"nb": {"body": "..."}}.',
    },
}


def _object(properties: dict[str, Schema], *optional: str) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


COMPONENT = _object(
    {
        "id": {"type": "string", "pattern": "^[cg][0-9]+$"},
        "name": {"type": "string"},
        "status": {"enum": ComponentStatus.values},
        "created_at": TIME,
        "updated_at": TIME,
        "position": {"type": "integer", "minimum": 1},
        "description": {"type": ["string", "null"]},
        "showcase": {"type": "boolean"},
        "start_date": {"type": ["string", "null"], "format": "date"},
        "group_id": {"type": ["string", "null"]},
        "page_id": {"type": "string"},
        "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
        "components": {"type": "array", "items": {"type": "string"}},
    },
    "components",
)
AFFECTED = _object(
    {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "old_status": {"enum": ComponentStatus.values},
        "new_status": {"enum": ComponentStatus.values},
    }
)


def _update(statuses: list[str]) -> Schema:
    return _object(
        {
            "id": {"type": "string"},
            "status": {"enum": statuses},
            "body": {"type": "string"},
            "incident_id": {"type": "string"},
            "created_at": TIME,
            "updated_at": TIME,
            "display_at": TIME,
            "affected_components": {
                "oneOf": [{"type": "null"}, {"type": "array", "items": {"$ref": _ref("Affected")}}]
            },
            "deliver_notifications": {"type": "boolean"},
            "custom_tweet": {"type": ["string", "null"]},
            "tweet_id": {"type": ["string", "null"]},
            **LANGUAGES,
        }
    )


def _incident_like(statuses: list[str], impacts: list[str], extra: dict[str, Schema]) -> Schema:
    return _object(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "status": {"enum": statuses},
            "created_at": TIME,
            "updated_at": TIME,
            "monitoring_at": TIME_OR_NULL,
            "resolved_at": TIME_OR_NULL,
            "impact": {"enum": impacts},
            "shortlink": {"type": "string", "format": "uri"},
            "started_at": TIME,
            "page_id": {"type": "string"},
            "incident_updates": {"type": "array", "items": _update(statuses)},
            "components": {"type": "array", "items": {"$ref": _ref("Component")}},
            **LANGUAGES,
            **extra,
        }
    )


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


SCHEMAS: dict[str, Schema] = {
    "Component": COMPONENT,
    "Affected": AFFECTED,
    "Incident": _incident_like(IncidentStatus.values, Impact.values, {}),
    "Maintenance": _incident_like(
        V2_MAINTENANCE_STATUSES,
        ["maintenance"],
        {
            "scheduled_for": TIME,
            "scheduled_until": TIME,
            "lifecycle_status": {"enum": MaintenanceStatus.values},
            "sequence": {"type": "integer", "minimum": 0},
            "remind_minutes_before": {"type": "integer", "minimum": 0},
            "reminder_at": TIME_OR_NULL,
            "reminder_sent": {"type": "boolean"},
        },
    ),
    "Token": _object(
        {
            "name": {"type": "string"},
            "prefix": {"type": "string"},
            "scopes": {"type": "array", "items": {"enum": Scope.values}},
            "created_at": TIME,
            "last_used_at": TIME_OR_NULL,
        }
    ),
    "Error": _object(
        {
            "error": {
                "enum": [
                    "invalid",
                    "unauthorized",
                    "forbidden",
                    "not_found",
                    "method_not_allowed",
                    "conflict",
                ]
            },
            "message": {"type": "string"},
            "field": {"type": ["string", "null"], "description": "The field at fault, dotted."},
        }
    ),
}

ERRORS = {
    400: "Bad input; `field` names the field at fault",
    401: "No token, or an unknown or disabled one, or one whose author is deactivated",
    403: "The token lacks the scope",
    404: "No such item",
    409: "The lifecycle does not allow this change now (e.g. resolving twice)",
}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(operation: Operation) -> Schema:
    if operation.response.endswith("[]"):
        success: Schema = {"type": "array", "items": {"$ref": _ref(operation.response[:-2])}}
    else:
        success = {"$ref": _ref(operation.response)}
    codes = [401]
    if operation.scope is not None:
        codes.append(403)
    if operation.body is not None:
        codes.append(400)
    if operation.params:
        codes.append(404)
    if operation.conflicts:
        codes.append(409)
    responses = {str(operation.status): _json(success, "Done")}
    for code in sorted(codes):
        responses[str(code)] = _json({"$ref": _ref("Error")}, ERRORS[code])
    return responses


def _operation(operation: Operation) -> Schema:
    scope = f"Scope: `{operation.scope}`." if operation.scope else "Any valid token."
    spec: Schema = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": f"{operation.description}\n\n{scope}".strip(),
        "responses": _responses(operation),
    }
    if operation.params:
        spec["parameters"] = [
            {
                "name": param.name,
                "in": "path",
                "required": True,
                "description": param.description,
                "schema": {"type": "string", "pattern": param.pattern},
            }
            for param in operation.params
        ]
    if operation.body is not None:
        spec["requestBody"] = {
            "required": any(f.required for f in operation.body.fields),
            "content": {"application/json": {"schema": {"$ref": _ref(operation.body.name)}}},
        }
    return spec


def document(operations: list[Operation]) -> Schema:
    paths: dict[str, Schema] = {}
    schemas = dict(SCHEMAS)
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
        if operation.body is not None:
            schemas[operation.body.name] = operation.body.schema()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.SITE_NAME} staff API",
            "version": "1.0.0",
            "description": (
                "Open and update incidents, set component statuses and move maintenance "
                "windows. Every call goes through the same actions as the admin, so "
                "subscribers are notified the same way. Authenticate with "
                "`Authorization: Bearer <token>` (`manage.py create_api_token`). Ids are "
                "the public API's: `i45` (incident), `m7` (maintenance), `c3` (component). "
                "Times are ISO 8601 with their offset. What publishes text takes its "
                "translations into the site's other languages (`translations`), and answers "
                "show each row's `language` and `translations`."
            ),
        },
        "servers": [{"url": API_ROOT}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@cache
def _document_bytes(site_name: str, languages: tuple[str, ...]) -> bytes:
    from staffapi.operations import OPERATIONS

    return json_bytes(document(OPERATIONS))


@require_safe
def openapi_view(request: HttpRequest) -> HttpResponse:
    # The translations' languages are the site's (LANGUAGES besides LANGUAGE_CODE).
    languages = (settings.LANGUAGE_CODE, *(code for code, _ in settings.LANGUAGES))
    document = _document_bytes(settings.SITE_NAME, languages)
    response = HttpResponse(document, content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response
