"""A Cachet (2.x) API dump: components, groups, incidents with updates, schedules, subscribers.

Either a folder of the API's answers (components.json, component_groups.json, incidents.json,
incident_updates.json, schedules.json, subscribers.json; each `{"data": [...]}` or a bare
list), or one file with those lists under the same names (without `.json`). Cachet writes
times without a zone ("2019-05-01 10:00:00"): the importer must be told it (`--zone`).
Incidents of status 0 (Cachet's old "scheduled") are counted as skipped: Cachet keeps
maintenance in schedules. Updates in a separate incident_updates.json are grouped by incident
in memory (an incident's own `updates` list, where the dump has one, needs no such pass).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from importers.history_items import (
    ComponentItem,
    GroupItem,
    History,
    IncidentItem,
    MaintenanceItem,
    SourceError,
    UpdateItem,
    clean,
    known,
    optional_time,
    read_time,
)
from importers.json_stream import a_list, an_object, items
from importers.subscriber_writer import SubscriberItem
from incidents.models import ComponentStatus, Impact, IncidentStatus

COMPONENT_STATUSES = {
    1: ComponentStatus.OPERATIONAL,
    2: ComponentStatus.DEGRADED_PERFORMANCE,
    3: ComponentStatus.PARTIAL_OUTAGE,
    4: ComponentStatus.MAJOR_OUTAGE,
}
INCIDENT_STATUSES = {
    1: IncidentStatus.INVESTIGATING,
    2: IncidentStatus.IDENTIFIED,
    3: IncidentStatus.MONITORING,  # Cachet's "watching"
    4: IncidentStatus.RESOLVED,  # Cachet's "fixed"
}
SCHEDULE_STATUSES = {0: "scheduled", 1: "in_progress", 2: "completed"}
SKIPPED_SCHEDULED = IncidentItem(
    source_id="",
    where="",
    title="",
    impact=Impact.NONE,
    started_at=datetime.min.replace(tzinfo=UTC),
    updates=[],
    skipped="incidents of status 0 (Cachet's old scheduled maintenance, now in schedules)",
)
SECTIONS = {
    "components": ("components",),
    "component_groups": ("component_groups", "components-groups", "groups"),
    "incidents": ("incidents",),
    "incident_updates": ("incident_updates", "incident-updates", "updates"),
    "schedules": ("schedules",),
    "subscribers": ("subscribers",),
}


class _Dump:
    def __init__(self, path: Path, zone: ZoneInfo | None):
        if not path.exists():
            raise SourceError(str(path), "no such file or folder")
        self.path = path
        self.zone = zone

    def rows(self, section: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if self.path.is_file():
            for prefix in (f"{section}.item", f"{section}.data.item"):
                for row in items(self.path, prefix):
                    yield self.path.name, an_object(row, f"{self.path.name}, {section}")
            return
        for name in SECTIONS[section]:
            file = self.path / f"{name}.json"
            if file.is_file():
                with file.open("rb") as head:
                    bare = head.read(64).lstrip().startswith(b"[")
                for row in items(file, "item" if bare else "data.item"):
                    yield file.name, an_object(row, f"{file.name}, an item")
                return

    def time(self, value: object, where: str) -> datetime:
        return read_time(value, self.zone, where)


def read_cachet(
    path: Path, zone: ZoneInfo | None, *, source: str
) -> tuple[History, Iterator[SubscriberItem]]:
    dump = _Dump(path, zone)
    groups = [
        GroupItem(str(row.get("id")), str(row.get("name") or ""), "", int(row.get("order") or 0))
        for _, row in dump.rows("component_groups")
    ]
    components = [
        _component(row, f"{name}, component {row.get('id')}")
        for name, row in dump.rows("components")
    ]
    names = {c.source_id: c.name for c in components}
    history = History(
        source=source,
        groups=groups,
        components=components,
        incidents=_incidents(dump),
        maintenance=_schedules(dump),
        components_from=str(path.name),
    )
    return history, _subscribers(dump, names)


def _component(row: dict[str, Any], where: str) -> ComponentItem:
    group = row.get("group_id")
    return ComponentItem(
        source_id=str(row.get("id")),
        name=_text(row.get("name"), where),
        status=known(row.get("status"), COMPONENT_STATUSES, "component status", where),
        description=clean(row.get("description"), where),
        group_id=str(group) if group else None,
        position=int(row.get("order") or 0),
        showcase=bool(row.get("enabled", True)),
    )


def _incidents(dump: _Dump) -> Iterator[IncidentItem]:
    separate: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, row in dump.rows("incident_updates"):
        separate[str(row.get("incident_id"))].append(row)
    for file_name, row in dump.rows("incidents"):
        where = f"{file_name}, incident {row.get('id')}"
        if row.get("status") == 0:
            yield SKIPPED_SCHEDULED
            continue
        yield _incident(dump, row, where, separate.pop(str(row.get("id")), []))


def _incident(
    dump: _Dump, row: dict[str, Any], where: str, separate: list[dict[str, Any]]
) -> IncidentItem:
    status = known(row.get("status"), INCIDENT_STATUSES, "incident status", where)
    started = dump.time(row.get("occurred_at") or row.get("created_at"), f"{where}, occurred_at")
    later = [*a_list(row.get("updates"), f"{where}, updates"), *separate]
    first_status = IncidentStatus.INVESTIGATING if later else status
    updates = [
        UpdateItem(
            f"incident-{row.get('id')}", first_status, clean(row.get("message"), where), started
        )
    ]
    for update in later:
        update = an_object(update, f"{where}, an update")
        at = f"{where}, update {update.get('id')}"
        updates.append(
            UpdateItem(
                source_id=str(update.get("id")),
                status=known(update.get("status"), INCIDENT_STATUSES, "incident status", at),
                body=clean(update.get("message"), at),
                posted_at=dump.time(update.get("created_at"), at),
            )
        )
    component = row.get("component_id")
    return IncidentItem(
        source_id=str(row.get("id")),
        where=where,
        title=_text(row.get("name"), where),
        impact=Impact.MINOR,  # Cachet records none
        started_at=started,
        updates=updates,
        component_ids=[str(component)] if component else [],
    )


def _schedules(dump: _Dump) -> Iterator[MaintenanceItem]:
    for file_name, row in dump.rows("schedules"):
        where = f"{file_name}, schedule {row.get('id')}"
        status = known(row.get("status"), SCHEDULE_STATUSES, "schedule status", where)
        start = dump.time(row.get("scheduled_at"), f"{where}, scheduled_at")
        if not row.get("completed_at"):
            raise SourceError(where, "has no completed_at: a window needs its end")
        end = dump.time(row.get("completed_at"), f"{where}, completed_at")
        updates = []
        if status != "scheduled":
            updates.append(UpdateItem(f"{row.get('id')}:start", "in_progress", "", start))
        if status == "completed":
            updates.append(UpdateItem(f"{row.get('id')}:complete", "completed", "", end))
        components = a_list(row.get("components"), f"{where}, components")
        yield MaintenanceItem(
            source_id=str(row.get("id")),
            where=where,
            title=_text(row.get("name"), where),
            body=clean(row.get("message"), where),
            scheduled_start=start,
            scheduled_end=end,
            created_at=optional_time(row.get("created_at"), dump.zone, where) or start,
            updates=updates,
            component_ids=[_component_id(c) for c in components],
        )


def _component_id(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("component_id") or value.get("id"))
    return str(value)


def _subscribers(dump: _Dump, names: dict[str, str]) -> Iterator[SubscriberItem]:
    for file_name, row in dump.rows("subscribers"):
        where = f"{file_name}, subscriber {row.get('id')}"
        chosen = a_list(row.get("subscriptions"), f"{where}, subscriptions")
        yield SubscriberItem(
            where=where,
            kind="email" if row.get("verified_at") else "unverified",
            address=str(row.get("email") or ""),
            consented_at=optional_time(row.get("verified_at"), dump.zone, where),
            component_names=[names[c] for c in map(_component_id, chosen) if c in names],
        )


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourceError(where, "has no name")
    return clean(value, where)
