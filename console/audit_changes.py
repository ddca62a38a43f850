"""An audit entry's changes as a person reads them: names, words, times with their zone.

The log keeps JSON snapshots (ids, status codes, ISO stamps); this turns them into lines
like "SMTP: Operational → Degraded performance" and leaves out bookkeeping fields.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

from incidents import timefmt
from incidents.models import AuditEntry, Component, ComponentStatus

# Counters and stamps the act itself implies: the "When" column already says when.
BOOKKEEPING = frozenset({"id", "version", "sequence", "created_at", "updated_at"})
# What the acts add to an object's own fields (see incidents/auditing.py: snapshot).
EXTRA_LABELS = {
    "update": "Update",
    "components": "Components",
    "categories": "Categories",
    "tags": "Tags",
    "queued": "Deliveries queued",
    "role": "Role",
    "two_factor": "Two-factor",
}
COMPONENT_STATUS_WORDS = dict(ComponentStatus.choices)
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str

    @property
    def was_empty(self) -> bool:
        """Nothing before (a new object, a first value): the line shows only the value."""
        return self.before == EMPTY


Names = dict[tuple[type[models.Model], str], str]


def readable_changes(entries: Iterable[AuditEntry]) -> list[tuple[AuditEntry, list[Change]]]:
    """Each entry with its changes in words; related names cost one query per kind of row."""
    entries = list(entries)
    names = _names_of(_references(entries))
    return [(entry, list(_changes(entry, names))) for entry in entries]


def _model_of(entry: AuditEntry) -> type[models.Model] | None:
    try:
        return apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        return None


def _fields_by_attname(model: type[models.Model] | None) -> dict[str, models.Field]:
    if model is None:
        return {}
    return {field.attname: field for field in model._meta.concrete_fields}


def _references(entries: list[AuditEntry]) -> dict[type[models.Model], set[str]]:
    """The related rows the entries point at by id, by model."""
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    for entry in entries:
        fields = _fields_by_attname(_model_of(entry))
        for key, before, after in entry.changes():
            field = fields.get(key)
            # related_model is a model class once the apps are loaded ("self" only before).
            if field is not None and field.is_relation and isinstance(field.related_model, type):
                wanted[field.related_model].update(str(v) for v in (before, after) if v)
            elif key == "components":
                for ids in (before, after):
                    if isinstance(ids, list):
                        wanted[Component].update(str(v) for v in ids)
    return wanted


def _names_of(wanted: dict[type[models.Model], set[str]]) -> Names:
    names: Names = {}
    for model, ids in wanted.items():
        for row in model._default_manager.filter(pk__in=ids):
            names[model, str(row.pk)] = str(row)
    return names


def _changes(entry: AuditEntry, names: Names) -> Iterable[Change]:
    fields = _fields_by_attname(_model_of(entry))
    for key, before, after in entry.changes():
        if key in BOOKKEEPING:
            continue
        if key == "component_changes":
            yield from _component_changes(after)
            continue
        field = fields.get(key)
        if field is None and key.endswith("_id"):
            continue
        label = _label(key, field)
        yield Change(label, _value(before, key, field, names), _value(after, key, field, names))


def _component_changes(changes: object) -> Iterable[Change]:
    """One line per component whose status the act changed: its name, old and new status."""
    for change in changes if isinstance(changes, list) else []:
        if isinstance(change, dict):
            yield Change(
                f"{change.get('name', '')} status",
                _status_words(change.get("old_status")),
                _status_words(change.get("new_status")),
            )


def _status_words(status: object) -> str:
    return str(COMPONENT_STATUS_WORDS.get(str(status), str(status))) if status else EMPTY


def _label(key: str, field: models.Field | None) -> str:
    if field is not None:
        return str(field.verbose_name)[:1].upper() + str(field.verbose_name)[1:]
    return EXTRA_LABELS.get(key, key.replace("_", " ").capitalize())


def _value(value: object, key: str, field: models.Field | None, names: Names) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if field is not None and field.is_relation and isinstance(field.related_model, type):
        return names.get((field.related_model, str(value)), f"#{value} (deleted)")
    if key == "components" and isinstance(value, list):
        return ", ".join(names.get((Component, str(v)), f"#{v} (deleted)") for v in value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        return timefmt.stamp(moment) if isinstance(moment, datetime) else value
    if isinstance(field, models.DateField) and isinstance(value, str):
        day = parse_date(value)
        return timefmt.day(day) if isinstance(day, date) else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if key == "role" and isinstance(value, str):
        return value.capitalize()
    return str(value)
