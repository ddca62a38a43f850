"""The staff API's handlers: each reads its call's parsed body and calls one of actions.

Answers use the public v2 shapes, so what a monitor posts reads back the
way readers see it; maintenance adds its own lifecycle status (postponed,
rescheduled, cancelled) and calendar sequence, which the v2 words hide. Every row shown
(incident, window, update) adds the language it was written in and its translations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.db import models

import actions
from incidents.api import serializers
from incidents.api.serializers import ComponentTree, parse_public_id
from incidents.models import Component, Impact, Incident, IncidentStatus, Maintenance
from incidents.models.translations import Translatable
from staffapi.router import Call, Handler, Param, not_found
from staffapi.schema import BadInput

M = TypeVar("M", bound=models.Model)

INCIDENT = Param("incident_id", "i", 'An incident\'s id, as in the public API ("i45").')
MAINTENANCE = Param("maintenance_id", "m", 'A maintenance window\'s id ("m7").')
COMPONENT = Param("component_id", "c", 'A component\'s id ("c3").')


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


def _languages(row: Translatable) -> dict[str, Any]:
    """The language a row was written in and its texts in the others (languages with any)."""
    given = {code: row.translation(code) for code in row.translations or {}}
    return {"language": row.language, "translations": {c: t for c, t in given.items() if t}}


def _with_languages(data: dict[str, Any], row: Incident | Maintenance) -> dict[str, Any]:
    """The v2 shape with each row's `language` and `translations`, the row's and its updates'."""
    # The serializer wrote the updates from the same timeline, in its order.
    shown = zip(data["incident_updates"], row.timeline(), strict=True)
    return {
        **data,
        **_languages(row),
        "incident_updates": [{**item, **_languages(update)} for item, update in shown],
    }


def _incident_json(incident: Incident) -> dict[str, Any]:
    fresh = Incident.objects.with_timeline().get(pk=incident.pk)
    return _with_languages(serializers.incident(fresh, ComponentTree.load()), fresh)


def _maintenance_json(maintenance: Maintenance) -> dict[str, Any]:
    fresh = Maintenance.objects.with_timeline().get(pk=maintenance.pk)
    data = serializers.maintenance(fresh, ComponentTree.load())
    return {
        **_with_languages(data, fresh),
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
        translations=data.get("translations"),
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
        translations=call.data.get("translations"),
    )
    return 201, _incident_json(incident)


def resolve_incident(call: Call) -> tuple[int, Any]:
    incident = _get(Incident.objects.all(), INCIDENT, call, "incident")
    actions.resolve_incident(
        incident,
        body=call.data["body"],
        posted_at=call.data.get("display_at"),
        author=call.author,
        translations=call.data.get("translations"),
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
        translations=data.get("translations"),
        **(
            {"remind_minutes_before": data["remind_minutes_before"]}
            if "remind_minutes_before" in data
            else {}
        ),
    )
    return 201, _maintenance_json(maintenance)


def get_maintenance(call: Call) -> tuple[int, Any]:
    return 200, _maintenance_json(_get(Maintenance.objects.all(), MAINTENANCE, call, "window"))


def move(act: Any, **extra: str) -> Handler:
    """A handler that calls `act` on the maintenance in the path with body, display_at and
    translations."""

    def handler(call: Call) -> tuple[int, Any]:
        maintenance = _get(Maintenance.objects.all(), MAINTENANCE, call, "window")
        arguments = {name: call.data[field] for name, field in extra.items() if field in call.data}
        act(
            maintenance,
            body=call.data.get("body", ""),
            posted_at=call.data.get("display_at"),
            author=call.author,
            translations=call.data.get("translations"),
            **arguments,
        )
        return 200, _maintenance_json(maintenance)

    handler.__name__ = act.__name__
    return handler
