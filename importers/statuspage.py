"""Atlassian Statuspage's public v2 JSON: components and groups, incidents, maintenance.

Given files (summary.json, components.json, incidents.json, scheduled-maintenances.json) or
a folder holding them. Statuspage marks a group as a component with `group: true`; its
members carry `group_id`. incidents.json lists maintenance windows too (they have
`scheduled_for`): those become maintenance, once, however many files list them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
from importers.json_stream import a_list, an_object, first, items
from incidents.models import ComponentStatus, Impact, IncidentStatus

FILE_NAMES = ("summary.json", "components.json", "incidents.json", "scheduled-maintenances.json")
# Which lists each file holds; a file of another name is searched for all of them.
LISTS = {
    "components.json": ("components",),
    "incidents.json": ("incidents",),
    "scheduled-maintenances.json": ("scheduled_maintenances",),
}
ALL_LISTS = ("components", "incidents", "scheduled_maintenances")

COMPONENT_STATUSES = {value: value for value in ComponentStatus.values}
IMPACTS = {value: value for value in Impact.values} | {"maintenance": Impact.NONE}
INCIDENT_STATUSES = {value: value for value in IncidentStatus.values}
MAINTENANCE_STATUSES = {s: s for s in ("scheduled", "in_progress", "verifying", "completed")}


def statuspage_files(paths: Iterable[Path]) -> list[Path]:
    """The files to read: each file given, and the known files of each folder given."""
    files = []
    for path in paths:
        if path.is_dir():
            found = [path / name for name in FILE_NAMES if (path / name).is_file()]
            if not found:
                raise SourceError(str(path), f"holds none of {', '.join(FILE_NAMES)}")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise SourceError(str(path), "no such file or folder")
    return files


def read_statuspage(paths: Iterable[Path], zone: ZoneInfo | None = None) -> History:
    files = statuspage_files(paths)
    page_ids = {_page_id(path) for path in files}
    if len(page_ids) > 1:
        raise SourceError(", ".join(p.name for p in files), f"come from several pages: {page_ids}")
    groups, components = _components(files)
    reader = _Items(files, zone)
    return History(
        source=f"statuspage:{page_ids.pop()}",
        groups=groups,
        components=components,
        incidents=reader.incidents(),
        maintenance=reader.maintenance(),
        components_from=", ".join(p.name for p in files if "components" in _lists(p)),
    )


def _page_id(path: Path) -> str:
    page = first(path, "page")
    if not isinstance(page, dict) or not page.get("id"):
        raise SourceError(path.name, "has no page id (a Statuspage v2 document starts with page)")
    return str(page["id"])


def _lists(path: Path) -> tuple[str, ...]:
    return LISTS.get(path.name, ALL_LISTS)


def _components(files: list[Path]) -> tuple[list[GroupItem], list[ComponentItem]]:
    """Every component of every file (they are few: read whole), the last file's copy winning."""
    rows: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in files:
        if "components" in _lists(path):
            for row in items(path, "components.item"):
                row = an_object(row, f"{path.name}, a component")
                rows[str(row.get("id"))] = (path.name, row)
    groups, components = [], []
    for source_id, (file_name, row) in rows.items():
        where = f"{file_name}, component {source_id}"
        name = _text(row.get("name"), where, "name")
        if row.get("group"):
            groups.append(
                GroupItem(
                    source_id, name, clean(row.get("description"), where), row.get("position") or 0
                )
            )
            continue
        components.append(
            ComponentItem(
                source_id=source_id,
                name=name,
                status=known(row.get("status"), COMPONENT_STATUSES, "component status", where),
                description=clean(row.get("description"), where),
                group_id=str(row["group_id"]) if row.get("group_id") else None,
                position=row.get("position") or 0,
                showcase=bool(row.get("showcase", True)),
                only_show_if_degraded=bool(row.get("only_show_if_degraded", False)),
            )
        )
    return groups, components


class _Items:
    """Incidents and windows, streamed from each file; each source id once."""

    def __init__(self, files: list[Path], zone: ZoneInfo | None):
        self.files = files
        self.zone = zone
        self.seen: set[str] = set()

    def _rows(self, list_name: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for path in self.files:
            if list_name not in _lists(path):
                continue
            for row in items(path, f"{list_name}.item"):
                row = an_object(row, f"{path.name}, an item of {list_name}")
                yield path.name, row

    def incidents(self) -> Iterator[IncidentItem]:
        for file_name, row in self._rows("incidents"):
            if row.get("scheduled_for"):
                continue  # a window: maintenance() takes it
            if (source_id := str(row.get("id"))) not in self.seen:
                self.seen.add(source_id)
                yield self._incident(row, f"{file_name}, incident {source_id}")

    def maintenance(self) -> Iterator[MaintenanceItem]:
        for list_name in ("scheduled_maintenances", "incidents"):
            for file_name, row in self._rows(list_name):
                if not row.get("scheduled_for"):
                    continue
                if (source_id := str(row.get("id"))) not in self.seen:
                    self.seen.add(source_id)
                    yield self._maintenance(row, f"{file_name}, maintenance {source_id}")

    def _updates(self, row: dict[str, Any], where: str, statuses: dict) -> list[UpdateItem]:
        updates = []
        for update in a_list(row.get("incident_updates"), f"{where}, incident_updates"):
            update = an_object(update, f"{where}, an update")
            at = f"{where}, update {update.get('id')}"
            changes = {}
            for change in a_list(update.get("affected_components"), f"{at}, affected_components"):
                change = an_object(change, f"{at}, an affected component")
                changes[str(change.get("code"))] = known(
                    change.get("new_status"), COMPONENT_STATUSES, "component status", at
                )
            updates.append(
                UpdateItem(
                    source_id=str(update.get("id")),
                    status=known(update.get("status"), statuses, "status", at),
                    body=clean(update.get("body"), at),
                    posted_at=read_time(
                        update.get("display_at") or update.get("created_at"), self.zone, at
                    ),
                    component_statuses=changes,
                )
            )
        return updates

    def _component_ids(self, row: dict[str, Any], where: str) -> list[str]:
        listed = a_list(row.get("components"), f"{where}, components")
        return [str(an_object(c, f"{where}, a component").get("id")) for c in listed]

    def _incident(self, row: dict[str, Any], where: str) -> IncidentItem:
        created = read_time(row.get("created_at"), self.zone, f"{where}, created_at")
        return IncidentItem(
            source_id=str(row.get("id")),
            where=where,
            title=_text(row.get("name"), where, "name"),
            impact=known(row.get("impact"), IMPACTS, "impact", where),
            started_at=optional_time(row.get("started_at"), self.zone, where) or created,
            updates=self._updates(row, where, INCIDENT_STATUSES),
            component_ids=self._component_ids(row, where),
        )

    def _maintenance(self, row: dict[str, Any], where: str) -> MaintenanceItem:
        return MaintenanceItem(
            source_id=str(row.get("id")),
            where=where,
            title=_text(row.get("name"), where, "name"),
            body="",
            scheduled_start=read_time(row.get("scheduled_for"), self.zone, f"{where}, start"),
            scheduled_end=read_time(row.get("scheduled_until"), self.zone, f"{where}, end"),
            created_at=read_time(row.get("created_at"), self.zone, f"{where}, created_at"),
            updates=self._updates(row, where, MAINTENANCE_STATUSES),
            component_ids=self._component_ids(row, where),
        )


def _text(value: object, where: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourceError(where, f"has no {what}")
    return clean(value, where)
