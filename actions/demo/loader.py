"""Load the seed history (runbox.toml) through the same actions staff use.

Idempotent: an item that is already there (by its natural key) is not made again,
so running it twice leaves one copy; only its texts are brought up to date with the file
(a body the file now words differently, such as a time token where a time was typed).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

import actions
from actions.demo.probes import load_demo_probes
from incidents.models import (
    Category,
    Component,
    ComponentGroup,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
    StatusPeriod,
    Tag,
)
from incidents.models.translations import Translatable, other_languages
from incidents.uptime.days import refresh_uptime, uptime_batch

DEMO_FILE = Path(__file__).with_name("runbox.toml")
# History is loaded, not announced: no notice goes out for it.
NOBODY: list[str] = []


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    texts_updated: int = 0

    def count(self, kind: str, *, created: bool) -> None:
        bucket = self.created if created else self.existing
        bucket[kind] = bucket.get(kind, 0) + 1

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.existing))
        counts = [
            f"{kind}: {self.created.get(kind, 0)} new, {self.existing.get(kind, 0)} present"
            for kind in kinds
        ]
        if self.texts_updated:
            counts.append(f"texts updated: {self.texts_updated}")
        return ", ".join(counts)


def _refresh_text(
    row: IncidentUpdate | Maintenance | MaintenanceUpdate | Post, body: str, report: LoadReport
) -> None:
    """The body as the file words it now; history's times are left as they were."""
    if row.body != body.strip():
        row.body = body.strip()
        row.save(update_fields=["body"])
        report.texts_updated += 1


def _refresh_updates(updates: list[Any], bodies: list[str], report: LoadReport) -> None:
    """Updates in the order they were posted, against the file's bodies in the same order;
    a history that no longer lines up with the file is left alone."""
    if len(updates) != len(bodies):
        return
    for update, body in zip(updates, bodies, strict=True):
        _refresh_text(update, body, report)


def read_demo(path: Path = DEMO_FILE) -> dict[str, list[dict[str, Any]]]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@dataclass
class _Made:
    """What a story makes (an incident, a window), once its first step has run."""

    obj: Any = None


# A step of the history: when it happened and what writes it. The steps of all stories run
# in time order, as they happened, since each status change extends the history after the
# last one (a window of 2013 cannot be written after an incident of 2016).
_Step = tuple[datetime, Callable[[], None]]


@transaction.atomic
def load_demo(path: Path = DEMO_FILE) -> LoadReport:
    data = read_demo(path)
    report = LoadReport()
    steps: list[_Step] = []
    with uptime_batch():
        categories = {row["name"]: _category(row, report) for row in data.get("categories", [])}
        groups = {row["name"]: _group(row, report) for row in data.get("groups", [])}
        since = _first_moment(data)
        components = {
            row["name"]: _component(row, groups, since, report)
            for row in data.get("components", [])
        }
        incidents = {
            row["key"]: _incident(row, components, report, steps)
            for row in data.get("incidents", [])
        }
        maintenance = {
            row["key"]: _maintenance(row, components, report, steps)
            for row in data.get("maintenances", [])
        }
        for _, step in sorted(steps, key=lambda step: step[0]):  # stable: ties keep file order
            step()
        _add_translations(data, categories, groups, components, incidents, maintenance)
    for row in data.get("posts", []):
        _post(row, categories, incidents, maintenance, report)
    created, present = load_demo_probes(components)
    for _ in range(created):
        report.count("probes", created=True)
    for _ in range(present):
        report.count("probes", created=False)
    return report


def _add_translations(
    data: dict[str, list[dict[str, Any]]],
    categories: dict[str, Category],
    groups: dict[str, ComponentGroup],
    components: dict[str, Component],
    incidents: dict[str, _Made],
    maintenance: dict[str, _Made],
) -> None:
    """The texts a translator added to the file (`nb = {...}` beside a row's own)."""
    for row in data.get("categories", []):
        _translate(categories[row["name"]], row)
    for row in data.get("groups", []):
        _translate(groups[row["name"]], row)
    for row in data.get("components", []):
        _translate(components[row["name"]], row)
    for row in data.get("incidents", []):
        incident = incidents[row["key"]].obj
        _translate(incident, row)
        updates = incident.updates.order_by("posted_at", "id")
        for update, update_row in zip(updates, row["updates"], strict=False):
            _translate(update, update_row)
    for row in data.get("maintenances", []):
        window = maintenance[row["key"]].obj
        _translate(window, row)
        # The first update is the scheduling itself, written from the row.
        updates = list(window.updates.order_by("posted_at", "id"))[1:]
        for update, event in zip(updates, row.get("events", []), strict=False):
            _translate(update, event)


def _translate(item: Translatable, row: dict[str, Any]) -> None:
    for language in other_languages(item.language):
        if language in row:
            actions.translate(item, language, row[language])


def _first_moment(data: dict[str, list[dict[str, Any]]]) -> datetime | None:
    """The file's earliest event: the components' history starts there."""
    moments = [row["started_at"] for row in data.get("incidents", [])]
    moments += [row["announced_at"] for row in data.get("maintenances", [])]
    return min(moments, default=None)


def _category(row: dict[str, Any], report: LoadReport) -> Category:
    category, created = Category.objects.get_or_create(
        slug=row.get("slug") or slugify(row["name"]),
        defaults={"name": row["name"], "description": row.get("description", "")},
    )
    report.count("categories", created=created)
    return category


def _group(row: dict[str, Any], report: LoadReport) -> ComponentGroup:
    group, created = ComponentGroup.objects.get_or_create(
        name=row["name"], defaults={"position": row.get("position", 0)}
    )
    report.count("groups", created=created)
    return group


def _component(
    row: dict[str, Any],
    groups: dict[str, ComponentGroup],
    since: datetime | None,
    report: LoadReport,
) -> Component:
    component, created = Component.objects.get_or_create(
        name=row["name"],
        defaults={
            "group": groups.get(row.get("group", "")),
            "position": row.get("position", 0),
            "description": row.get("description", ""),
            **({"created_at": since} if since else {}),
        },
    )
    if created:
        StatusPeriod.objects.start_history(component, component.status)
        # A component no story changes still has its days, from the history's start.
        refresh_uptime([component.pk], component.created_at)
    report.count("components", created=created)
    return component


def _incident(
    row: dict[str, Any], components: dict[str, Component], report: LoadReport, steps: list[_Step]
) -> _Made:
    started_at: datetime = row["started_at"]
    existing = Incident.objects.filter(title=row["title"], started_at=started_at).first()
    report.count("incidents", created=existing is None)
    if existing is not None:
        updates = list(existing.updates.order_by("posted_at", "id"))
        _refresh_updates(updates, [update["body"] for update in row["updates"]], report)
        return _Made(existing)
    made = _Made()
    first, *rest = row["updates"]

    def open_it() -> None:
        made.obj = actions.open_incident(
            title=row["title"],
            body=first["body"],
            impact=row.get("impact", "minor"),
            status=first.get("status", IncidentStatus.INVESTIGATING),
            component_statuses={
                components[item["name"]]: item["status"] for item in row.get("components", [])
            },
            posted_at=first["posted_at"],
            started_at=started_at,
            channels=NOBODY,
        )

    def update_it(update: dict[str, Any]) -> None:
        actions.post_incident_update(
            made.obj,
            status=update["status"],
            body=update["body"],
            posted_at=update["posted_at"],
            channels=NOBODY,
        )

    steps.append((first["posted_at"], open_it))
    steps += [(update["posted_at"], partial(update_it, update)) for update in rest]
    return made


_MAINTENANCE_EVENTS = {
    "start": actions.start_maintenance,
    "note": actions.post_maintenance_note,
    "postpone": actions.postpone_maintenance,
    "complete": actions.complete_maintenance,
    "cancel": actions.cancel_maintenance,
}


def _maintenance(
    row: dict[str, Any], components: dict[str, Component], report: LoadReport, steps: list[_Step]
) -> _Made:
    existing = Maintenance.objects.filter(
        title=row["title"], created_at=row["announced_at"]
    ).first()
    report.count("maintenance", created=existing is None)
    if existing is not None:
        _refresh_text(existing, row.get("body", ""), report)
        updates = list(existing.updates.order_by("posted_at", "id"))
        # The first update is the scheduling itself, which has no text of its own.
        bodies = ["", *(event.get("body", "") for event in row.get("events", []))]
        _refresh_updates(updates, bodies, report)
        return _Made(existing)
    made = _Made()

    def schedule_it() -> None:
        made.obj = actions.schedule_maintenance(
            title=row["title"],
            body=row.get("body", ""),
            scheduled_start=row["scheduled_start"],
            scheduled_end=row["scheduled_end"],
            components=[components[name] for name in row.get("components", [])],
            posted_at=row["announced_at"],
            channels=NOBODY,
        )

    def move_it(event: dict[str, Any]) -> None:
        if event["action"] == "reschedule":
            actions.reschedule_maintenance(
                made.obj,
                scheduled_start=event["new_start"],
                scheduled_end=event["new_end"],
                body=event["body"],
                posted_at=event["at"],
                channels=NOBODY,
            )
        else:
            _MAINTENANCE_EVENTS[event["action"]](
                made.obj, body=event.get("body", ""), posted_at=event["at"], channels=NOBODY
            )

    steps.append((row["announced_at"], schedule_it))
    steps += [(event["at"], partial(move_it, event)) for event in row.get("events", [])]
    return made


def _post(
    row: dict[str, Any],
    categories: dict[str, Category],
    incidents: dict[str, _Made],
    maintenance: dict[str, _Made],
    report: LoadReport,
) -> None:
    existing = Post.objects.filter(slug=row["slug"]).first()
    report.count("posts", created=existing is None)
    if existing is not None:
        _refresh_text(existing, row["body"], report)
        return
    tags = [
        Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]
        for name in row.get("tags", [])
    ]
    actions.publish_post(
        title=row["title"],
        slug=row["slug"],
        body=row["body"],
        published_at=row["published_at"],
        categories=[categories[name] for name in row.get("categories", [])],
        tags=tags,
        incident=incidents.get(row.get("incident", ""), _Made()).obj,
        maintenance=maintenance.get(row.get("maintenance", ""), _Made()).obj,
        channels=NOBODY,
    )
