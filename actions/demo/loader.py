"""Load the seed history (runbox.toml) through the same actions staff use.

Idempotent: an item that is already there (by its natural key) is not made again,
so running it twice leaves one copy; only its texts are brought up to date with the file
(a body the file now words differently, such as a time token where a time was typed).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
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
    Tag,
)

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


@transaction.atomic
def load_demo(path: Path = DEMO_FILE) -> LoadReport:
    data = read_demo(path)
    report = LoadReport()
    categories = {row["name"]: _category(row, report) for row in data.get("categories", [])}
    groups = {row["name"]: _group(row, report) for row in data.get("groups", [])}
    components = {
        row["name"]: _component(row, groups, report) for row in data.get("components", [])
    }
    incidents = {
        row["key"]: _incident(row, components, report) for row in data.get("incidents", [])
    }
    maintenance = {
        row["key"]: _maintenance(row, components, report) for row in data.get("maintenances", [])
    }
    for row in data.get("posts", []):
        _post(row, categories, incidents, maintenance, report)
    created, present = load_demo_probes(components)
    for _ in range(created):
        report.count("probes", created=True)
    for _ in range(present):
        report.count("probes", created=False)
    return report


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
    row: dict[str, Any], groups: dict[str, ComponentGroup], report: LoadReport
) -> Component:
    component, created = Component.objects.get_or_create(
        name=row["name"],
        defaults={
            "group": groups.get(row.get("group", "")),
            "position": row.get("position", 0),
            "description": row.get("description", ""),
        },
    )
    report.count("components", created=created)
    return component


def _incident(
    row: dict[str, Any], components: dict[str, Component], report: LoadReport
) -> Incident:
    started_at: datetime = row["started_at"]
    existing = Incident.objects.filter(title=row["title"], started_at=started_at).first()
    report.count("incidents", created=existing is None)
    if existing is not None:
        updates = list(existing.updates.order_by("posted_at", "id"))
        _refresh_updates(updates, [update["body"] for update in row["updates"]], report)
        return existing
    first, *rest = row["updates"]
    incident = actions.open_incident(
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
    for update in rest:
        actions.post_incident_update(
            incident,
            status=update["status"],
            body=update["body"],
            posted_at=update["posted_at"],
            channels=NOBODY,
        )
    return incident


_MAINTENANCE_EVENTS = {
    "start": actions.start_maintenance,
    "note": actions.post_maintenance_note,
    "postpone": actions.postpone_maintenance,
    "complete": actions.complete_maintenance,
    "cancel": actions.cancel_maintenance,
}


def _maintenance(
    row: dict[str, Any], components: dict[str, Component], report: LoadReport
) -> Maintenance:
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
        return existing
    maintenance = actions.schedule_maintenance(
        title=row["title"],
        body=row.get("body", ""),
        scheduled_start=row["scheduled_start"],
        scheduled_end=row["scheduled_end"],
        components=[components[name] for name in row.get("components", [])],
        posted_at=row["announced_at"],
        channels=NOBODY,
    )
    for event in row.get("events", []):
        if event["action"] == "reschedule":
            actions.reschedule_maintenance(
                maintenance,
                scheduled_start=event["new_start"],
                scheduled_end=event["new_end"],
                body=event["body"],
                posted_at=event["at"],
                channels=NOBODY,
            )
        else:
            _MAINTENANCE_EVENTS[event["action"]](
                maintenance, body=event.get("body", ""), posted_at=event["at"], channels=NOBODY
            )
    return maintenance


def _post(
    row: dict[str, Any],
    categories: dict[str, Category],
    incidents: dict[str, Incident],
    maintenance: dict[str, Maintenance],
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
        incident=incidents.get(row.get("incident", "")),
        maintenance=maintenance.get(row.get("maintenance", "")),
        channels=NOBODY,
    )
