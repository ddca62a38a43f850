"""Rebuild status periods from what the record already says about each change.

The actions write periods as statuses change; history written before them (or by bulk
writers such as benchmarks/history.py) is replayed from the changes the record kept:
each incident update's and maintenance update's `component_changes` at its posted_at
(an incident's opening at its started_at, if earlier; a window that recorded none, from
its moves in and out of progress), staff settings from the audit log, and each
component's creation. Migrations call it with their historical models.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from incidents.uptime.models import HistoryModels

ACTIVE_MAINTENANCE_STATUSES = ("in_progress", "verifying")
# A derived end of a window: back to what the component was before it, if still held by it.
RELEASE = "release"


@dataclass(frozen=True)
class _Change:
    at: datetime
    order: tuple[int, int]  # same moment: incidents, then maintenance, then staff; by id
    status: str
    old_status: str
    cause: str
    incident_id: int | None = None
    maintenance_id: int | None = None


def _changes_of(component_changes: Any) -> Iterable[tuple[int, str, str]]:
    for change in component_changes or []:
        if isinstance(change, dict) and change.get("component_id") and change.get("new_status"):
            yield int(change["component_id"]), change["new_status"], change.get("old_status", "")


def _maintenance_changes(models: HistoryModels, ids: set[int]) -> Iterable[tuple[int, _Change]]:
    """What windows did, as recorded; a window none of whose updates recorded a change
    (written before they did, or in bulk) put its components under maintenance while in
    progress and released them after."""
    members: dict[int, list[int]] = defaultdict(list)
    through = models.Maintenance.components.through.objects.filter(component_id__in=ids)
    for maintenance_id, component_id in through.values_list("maintenance_id", "component_id"):
        members[maintenance_id].append(component_id)
    updates: dict[int, list[tuple[int, datetime, str, Any]]] = defaultdict(list)
    rows = models.MaintenanceUpdate.objects.order_by("posted_at", "pk").values_list(
        "pk", "maintenance_id", "posted_at", "status", "component_changes"
    )
    for pk, maintenance_id, posted_at, status, component_changes in rows.iterator():
        updates[maintenance_id].append((pk, posted_at, status, component_changes))
    for maintenance_id, steps in updates.items():
        recorded = any(changes for *_, changes in steps)
        active = False
        for pk, posted_at, status, changes in steps:
            if recorded:
                for component_id, new, old in _changes_of(changes):
                    if component_id in ids:
                        yield (
                            component_id,
                            _Change(
                                posted_at, (1, pk), new, old, "maintenance", None, maintenance_id
                            ),
                        )
                continue
            now_active = status in ACTIVE_MAINTENANCE_STATUSES
            if now_active != active:
                new = "under_maintenance" if now_active else RELEASE
                for component_id in members.get(maintenance_id, []):
                    yield (
                        component_id,
                        _Change(posted_at, (1, pk), new, "", "maintenance", None, maintenance_id),
                    )
            active = now_active


def _recorded_changes(models: HistoryModels, ids: set[int]) -> dict[int, list[_Change]]:
    found: dict[int, list[_Change]] = defaultdict(list)
    opened: set[int] = set()
    updates = models.IncidentUpdate.objects.order_by("posted_at", "pk").values_list(
        "pk", "posted_at", "incident_id", "incident__started_at", "component_changes"
    )
    for pk, posted_at, incident_id, started_at, component_changes in updates.iterator():
        at = min(posted_at, started_at) if incident_id not in opened else posted_at
        opened.add(incident_id)
        for component_id, new, old in _changes_of(component_changes):
            if component_id in ids:
                found[component_id].append(
                    _Change(at, (0, pk), new, old, "incident", incident_id=incident_id)
                )
    for component_id, change in _maintenance_changes(models, ids):
        found[component_id].append(change)
    staff = models.AuditEntry.objects.filter(
        action="component.status", object_type="incidents.component"
    ).values_list("pk", "at", "object_id", "before", "after")
    for pk, at, object_id, before, after in staff.iterator():
        component_id = int(object_id) if str(object_id).isdigit() else 0
        if component_id in ids and isinstance(after, dict) and after.get("status"):
            old = (before or {}).get("status", "") if isinstance(before, dict) else ""
            found[component_id].append(_Change(at, (2, pk), after["status"], old, "staff"))
    for changes in found.values():
        changes.sort(key=lambda change: (change.at, change.order))
    return found


def _periods(models: HistoryModels, component: Any, changes: list[_Change]) -> list[Any]:
    """The component's periods: its first status from creation, then each change in turn."""
    first_status = changes[0].old_status if changes and changes[0].old_status else "operational"
    start = min([component.created_at, *(c.at for c in changes[:1])])
    periods = [
        models.StatusPeriod(
            component_id=component.pk, status=first_status, started_at=start, cause="staff"
        )
    ]
    final = [*changes]
    if (changes[-1].status if changes else first_status) != component.status:
        # A change the record missed: the row's status counts from its last edit.
        last = max([start, *(c.at for c in changes[-1:]), component.updated_at])
        final.append(_Change(last, (3, 0), component.status, "", "staff"))
    for change in final:
        current = periods[-1]
        if change.status == RELEASE:
            if current.maintenance_id != change.maintenance_id:
                continue  # something else took the component during the window: it keeps it
            before = periods[-2].status if len(periods) > 1 else "operational"
            change = replace(change, status=before)
        if change.status == current.status:
            continue
        at = max(change.at, current.started_at)  # out of order in the record: no earlier
        what = {
            "status": change.status,
            "cause": change.cause,
            "incident_id": change.incident_id,
            "maintenance_id": change.maintenance_id,
        }
        if at == current.started_at:
            for name, value in what.items():
                setattr(current, name, value)
            continue
        current.ended_at = at
        periods.append(models.StatusPeriod(component_id=component.pk, started_at=at, **what))
    return periods


def replay_periods(
    models: HistoryModels | None = None,
    *,
    component_ids: Iterable[int] | None = None,
    only_missing: bool = False,
) -> list[int]:
    """Write the periods of the components (all by default) from the record; their ids.

    Their periods are replaced, so running it twice gives the same history; with
    `only_missing`, components that already have a history are left as they are (a
    migration on a database the actions have already written to).
    """
    models = models or HistoryModels.current()
    components = models.Component.objects.all()
    if component_ids is not None:
        components = components.filter(pk__in=list(component_ids))
    if only_missing:
        components = components.exclude(
            pk__in=models.StatusPeriod.objects.values_list("component_id", flat=True)
        )
    components = list(components)
    ids = {c.pk for c in components}
    if not ids:
        return []
    changes = _recorded_changes(models, ids)
    models.StatusPeriod.objects.filter(component_id__in=ids).delete()
    periods = [p for c in components for p in _periods(models, c, changes.get(c.pk, []))]
    models.StatusPeriod.objects.bulk_create(periods, batch_size=1000)
    return sorted(ids)
