"""Small helpers that make what tests need, incidents and maintenance through incidents.actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from incidents import actions
from incidents.models import (
    Category,
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    Post,
    Tag,
)

OSLO = ZoneInfo("Europe/Oslo")
UTC = ZoneInfo("UTC")

_serial = count(1)


def oslo(*args: int) -> datetime:
    """An aware datetime on the wall clock in Oslo: oslo(2013, 1, 25, 0, 45)."""
    return datetime(*args, tzinfo=OSLO)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_group(name: str = "", **fields: object) -> ComponentGroup:
    return ComponentGroup.objects.create(name=name or f"Group {next(_serial)}", **fields)


def make_component(
    name: str = "", *, group: ComponentGroup | None = None, **fields: object
) -> Component:
    return Component.objects.create(name=name or f"Service {next(_serial)}", group=group, **fields)


def open_incident(
    title: str = "Webmail is slow",
    *,
    body: str = "We are investigating reports of slow logins.",
    impact: str = Impact.MINOR,
    components: Mapping[Component, str] | None = None,
    at: datetime | None = None,
    status: str = IncidentStatus.INVESTIGATING,
) -> Incident:
    return actions.open_incident(
        title=title,
        body=body,
        impact=impact,
        status=status,
        component_statuses=components,
        posted_at=at,
    )


def schedule_maintenance(
    title: str = "Database upgrade",
    *,
    start: datetime,
    end: datetime,
    components: Iterable[Component] = (),
    body: str = "We are upgrading the mail database.",
    at: datetime | None = None,
    auto_start: bool = True,
    auto_complete: bool = True,
) -> Maintenance:
    return actions.schedule_maintenance(
        title=title,
        body=body,
        scheduled_start=start,
        scheduled_end=end,
        components=components,
        posted_at=at,
        auto_start=auto_start,
        auto_complete=auto_complete,
    )


def make_category(name: str = "", **fields: object) -> Category:
    name = name or f"Category {next(_serial)}"
    return Category.objects.create(name=name, slug=name.lower().replace(" ", "-"), **fields)


def make_tag(name: str = "") -> Tag:
    name = name or f"Tag {next(_serial)}"
    return Tag.objects.create(name=name, slug=name.lower().replace(" ", "-"))


def publish_post(
    title: str = "New spam filter",
    *,
    slug: str = "",
    body: str = "We have a new spam filter.<!--more-->Here is how it works.",
    at: datetime | None = None,
    **links: object,
) -> Post:
    return actions.publish_post(
        title=title,
        slug=slug or f"post-{next(_serial)}",
        body=body,
        published_at=at,
        **links,  # type: ignore[arg-type]
    )


def bulk_history(size: int, *, now: datetime, components: list[Component]) -> None:
    """`size` incidents (half resolved), maintenance windows and posts, written in bulk.

    The rows look like what the actions write (every incident has updates and
    affected components) so pages that prefetch them have work to do.
    """
    serial = next(_serial)
    incidents = Incident.objects.bulk_create(
        Incident(
            title=f"History {serial}-{n}",
            impact=Impact.MAJOR if n % 2 else Impact.MINOR,
            status=IncidentStatus.RESOLVED if n % 2 else IncidentStatus.MONITORING,
            started_at=now - timedelta(hours=5 * n + 1),
            resolved_at=now - timedelta(hours=5 * n) if n % 2 else None,
            updated_at=now - timedelta(hours=5 * n),
        )
        for n in range(size)
    )
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(
            incident=incident,
            status=status,
            body=f"{status} **update** for {incident.title}",
            posted_at=incident.started_at + timedelta(minutes=10 * step),
        )
        for incident in incidents
        for step, status in enumerate([IncidentStatus.INVESTIGATING, incident.status])
    )
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=component, status=ComponentStatus.PARTIAL_OUTAGE)
        for incident in incidents
        for component in components
    )
    maintenance = Maintenance.objects.bulk_create(
        Maintenance(
            title=f"Window {serial}-{n}",
            body="Routine work.",
            status=[MaintenanceStatus.COMPLETED, MaintenanceStatus.SCHEDULED][n % 2],
            scheduled_start=now + timedelta(hours=7 * n - size * 3),
            scheduled_end=now + timedelta(hours=7 * n - size * 3 + 1),
        )
        for n in range(size)
    )
    MaintenanceUpdate.objects.bulk_create(
        MaintenanceUpdate(
            maintenance=m,
            status=m.status,
            body="Noted.",
            posted_at=m.scheduled_start,
            window_start=m.scheduled_start,
            window_end=m.scheduled_end,
        )
        for m in maintenance
    )
    through = Maintenance.components.through
    through.objects.bulk_create(
        through(maintenance=m, component=component) for m in maintenance for component in components
    )
    posts = Post.objects.bulk_create(
        Post(
            title=f"Notice {serial}-{n}",
            slug=f"notice-{serial}-{n}",
            body="Short.<!--more-->Long.",
            published_at=now - timedelta(hours=3 * n + 1),
            updated_at=now - timedelta(hours=3 * n + 1),
            incident=incidents[n],
            maintenance=maintenance[n],
        )
        for n in range(size)
    )
    category, tag = make_category(), make_tag()
    for post in posts:
        post.categories.add(category, *Category.objects.filter(slug="news"))
        post.tags.add(tag)
