"""Small helpers that make what tests need, incidents and maintenance through actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from django.utils import timezone

import actions
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
    Probe,
    ProbeHour,
    PublicationState,
    Tag,
    UptimeDay,
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


def bulk_history(
    size: int, *, now: datetime, components: list[Component], category: Category, tag: Tag
) -> None:
    """`size` incidents (half unresolved), maintenance windows and posts, written in bulk.

    The rows look like what the actions write (every incident has updates and
    affected components, every post a category and a tag) so pages that
    prefetch them have the same work to do as on a real site.
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
            component_changes=[
                {"name": c.name, "new_status": "partial_outage"} for c in components
            ],
        )
        for incident in incidents
        for step, status in enumerate([IncidentStatus.INVESTIGATING, incident.status])
    )
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=i, component=c, status=ComponentStatus.PARTIAL_OUTAGE)
        for i in incidents
        for c in components
    )
    maintenance = Maintenance.objects.bulk_create(
        Maintenance(
            title=f"Window {serial}-{n}",
            body="Routine work.",
            status=MaintenanceStatus.SCHEDULED if n % 2 else MaintenanceStatus.COMPLETED,
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
    in_maintenance = Maintenance.components.through
    in_maintenance.objects.bulk_create(
        in_maintenance(maintenance=m, component=c) for m in maintenance for c in components
    )
    posts = Post.objects.bulk_create(
        Post(
            title=f"Notice {serial}-{n}",
            slug=f"notice-{serial}-{n}",
            body="Short.<!--more-->Long.",
            published_at=now - timedelta(hours=3 * n + 1),
            updated_at=now - timedelta(hours=3 * n + 1),
            incident=incidents[n] if n % 3 == 0 else None,
            maintenance=maintenance[n] if n % 3 == 1 else None,
        )
        for n in range(size)
    )
    Post.categories.through.objects.bulk_create(
        Post.categories.through(post=p, category=category) for p in posts
    )
    Post.tags.through.objects.bulk_create(Post.tags.through(post=p, tag=tag) for p in posts)
    # Bulk writes send no signals: publish the change as the actions' saves would.
    PublicationState.bump()


@dataclass
class Site:
    """A small, realistic site: one incident in the past, one now, work now and in 2040."""

    imap: Component
    smtp: Component
    webmail: Component
    resolved: Incident
    active: Incident
    working: Maintenance
    upcoming: Maintenance
    news: Category
    spam: Tag
    post: Post
    incident_post: Post


def build_site() -> Site:
    now = timezone.now()
    mail = make_group("Mail")
    imap = make_component("IMAP", group=mail, position=1)
    smtp = make_component("SMTP", group=mail, position=2)
    webmail = make_component("Webmail", description="Mail in the browser")

    resolved = open_incident(
        "Mail delivery delayed",
        body="Incoming mail is **queued**.",
        impact=Impact.MAJOR,
        components={smtp: ComponentStatus.PARTIAL_OUTAGE},
        at=oslo(2013, 1, 25, 0, 15),
    )
    actions.resolve_incident(
        resolved, body="All queued mail has been delivered.", posted_at=oslo(2013, 1, 25, 0, 45)
    )
    active = open_incident(
        "Logins fail",
        body="Users cannot log in.",
        impact=Impact.CRITICAL,
        components={imap: ComponentStatus.MAJOR_OUTAGE},
        at=now - timedelta(minutes=30),
    )
    actions.post_incident_update(
        active,
        status=IncidentStatus.IDENTIFIED,
        body="A certificate expired; we are renewing it.",
        posted_at=now - timedelta(minutes=10),
    )
    working = schedule_maintenance(
        "Webmail upgrade",
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
        components=[webmail],
        at=now - timedelta(days=2),
    )
    actions.start_maintenance(working, posted_at=now - timedelta(hours=1))
    upcoming = schedule_maintenance(
        "Storage migration",
        start=oslo(2040, 1, 12, 6, 30),
        end=oslo(2040, 1, 12, 8, 30),
        components=[imap],
        at=now - timedelta(hours=1),
    )

    news, spam = make_category("News", description="What is new at Runbox."), make_tag("Spam")
    post = publish_post(
        "New spam filter",
        slug="new-spam-filter",
        body="We have a **new** filter.\n\n<!--more-->\n\nHow it works: rules.",
        at=oslo(2013, 1, 25, 9, 0),
        categories=[news],
        tags=[spam],
    )
    incident_post = publish_post(
        "Mail delays on Friday",
        slug="mail-delays",
        body="What happened to mail on Friday.",
        at=oslo(2013, 1, 26, 9, 0),
        categories=[news],
        incident=resolved,
    )
    return Site(
        imap, smtp, webmail, resolved, active, working, upcoming, news, spam, post, incident_post
    )


def verify_client(client, user) -> None:
    """Log `user` in on a test client with their TOTP device verified, as the console does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


DAY_SECONDS = 86400


def make_uptime_day(component: Component, day, **seconds: int | list[int] | str) -> UptimeDay:
    """A component's rolled-up day: observed all day unless told, worst status from the seconds."""
    fields: dict[str, object] = {"observed_seconds": DAY_SECONDS, **seconds}
    if "worst_status" not in fields:
        worst = ComponentStatus.OPERATIONAL
        for status in (
            ComponentStatus.UNDER_MAINTENANCE,
            ComponentStatus.DEGRADED_PERFORMANCE,
            ComponentStatus.PARTIAL_OUTAGE,
            ComponentStatus.MAJOR_OUTAGE,
        ):
            if fields.get(f"{status}_seconds"):
                worst = status
        fields["worst_status"] = worst
    # Replaces the row an action's own rollup may have written (once a whole second has
    # passed since its change): the test says what the day was.
    UptimeDay.objects.filter(component=component, day=day).delete()
    return UptimeDay.objects.create(
        component=component, day=day, computed_at=timezone.now(), **fields
    )


def make_probe_hours(
    component: Component, hours: Iterable[tuple[datetime, float, float]], **probe: object
) -> Probe:
    """A probe of the component with one rollup per (hour, median, p95) from one location."""
    made = Probe.objects.create(
        component=component,
        name=str(probe.pop("name", "IMAP login")),
        kind=str(probe.pop("kind", "imap")),
        host="imap.example.test",
        **probe,
    )
    ProbeHour.objects.bulk_create(
        ProbeHour(
            probe=made,
            location="oslo",
            hour=hour,
            count=60,
            failures=0,
            median_ms=median,
            p95_ms=p95,
        )
        for hour, median, p95 in hours
    )
    return made
