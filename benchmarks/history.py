"""A deterministic ten-year history for benchmarks, written with bulk_create (no actions).

Status periods and daily uptime are then replayed from the updates' component changes.

Same seed, same rows: every instant is an offset from `now`, so the status page always has
a week of recent incidents, one unresolved incident and one upcoming maintenance window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from incidents.models import (
    MORE_MARKER,
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
    MaintenanceUpdate,
    Post,
    PublicationState,
    Tag,
)
from incidents.uptime.days import roll_up_history
from incidents.uptime.replay import replay_periods

YEARS = 10
GROUPS = {
    "Email": ["Webmail", "IMAP and POP", "SMTP"],
    "Platform": ["Website", "Account and billing", "API"],
    "Infrastructure": ["DNS", "Storage", "Spam filter"],
}
SYMPTOMS = ["slow responses", "login failures", "delayed delivery", "errors on save", "outage"]
CATEGORIES = ["Incident reports", "Maintenance", "Announcements", "Engineering"]
TAGS = ["email", "security", "performance", "webmail", "dns", "billing"]
MIDDLE_STATUSES = [IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING]
IMPACTS = [Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL]
IMPACT_WEIGHTS = [10, 55, 25, 10]
COMPONENT_STATUS_FOR = {
    Impact.NONE: ComponentStatus.DEGRADED_PERFORMANCE,
    Impact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}
BODIES = {
    IncidentStatus.INVESTIGATING: "We are investigating reports of **{symptom}** on {names}.",
    IncidentStatus.IDENTIFIED: "We have found the cause:\n\n- a failed disk in one node\n"
    "- traffic moved to the standby\n\nA fix is being rolled out.",
    IncidentStatus.MONITORING: "A fix is in place and we are watching the results.",
    IncidentStatus.RESOLVED: "{names} {verb} working normally again. Sorry for the trouble.",
    IncidentStatus.POSTMORTEM: "The full report is on [the blog](https://example.com/blog/).",
}
# Maintenance end states and their weights; each is the sequence of statuses it went through.
MAINTENANCE_PATHS = [
    (70, ["scheduled", "in_progress", "verifying", "completed"]),
    (10, ["scheduled", "cancelled"]),
    (10, ["scheduled", "rescheduled", "in_progress", "completed"]),
    (5, ["scheduled", "in_progress", "postponed", "cancelled"]),
    (5, ["scheduled", "in_progress", "postponed", "rescheduled", "in_progress", "completed"]),
]


@dataclass
class _Rows:
    """Unsaved rows, with the parent each child row will point to once it has a key."""

    incidents: list[Incident] = field(default_factory=list)
    updates: list[tuple[Incident, IncidentUpdate]] = field(default_factory=list)
    affected: list[tuple[Incident, Component, str]] = field(default_factory=list)
    maintenance: list[Maintenance] = field(default_factory=list)
    maintenance_updates: list[tuple[Maintenance, MaintenanceUpdate]] = field(default_factory=list)
    maintenance_components: list[tuple[Maintenance, Component]] = field(default_factory=list)


def _components(since: datetime) -> list[Component]:
    components = []
    for g_pos, (group_name, names) in enumerate(GROUPS.items()):
        group, _ = ComponentGroup.objects.get_or_create(
            name=group_name, defaults={"position": g_pos}
        )
        for pos, name in enumerate(names):
            component, _ = Component.objects.get_or_create(
                name=name, defaults={"group": group, "position": pos, "created_at": since}
            )
            components.append(component)
    return components


def _incident_statuses(rng: random.Random) -> list[str]:
    """2-5 statuses from first report to resolution (sometimes a postmortem after)."""
    count = rng.randint(2, 5)
    postmortem = count >= 3 and rng.random() < 0.1
    middle = sorted(rng.choices(MIDDLE_STATUSES, k=count - 2 - postmortem))
    tail = [IncidentStatus.RESOLVED] + ([IncidentStatus.POSTMORTEM] if postmortem else [])
    return [IncidentStatus.INVESTIGATING, *middle, *tail]


def _add_incident(
    rng: random.Random,
    rows: _Rows,
    components: list[Component],
    started: datetime,
    statuses: list[str],
) -> Incident:
    impact = rng.choices(IMPACTS, IMPACT_WEIGHTS)[0]
    affected = rng.sample(components, rng.randint(1, min(3, len(components))))
    names, verb = ", ".join(c.name for c in affected), "are" if len(affected) > 1 else "is"
    symptom = rng.choice(SYMPTOMS)
    incident = Incident(title=f"{affected[0].name}: {symptom}", impact=impact)
    incident.started_at = incident.created_at = started
    rows.incidents.append(incident)
    rows.affected += [(incident, c, COMPONENT_STATUS_FOR[impact]) for c in affected]
    posted = started
    for n, status in enumerate(statuses):
        if n:
            gap = timedelta(days=rng.uniform(1, 5)) if status == "postmortem" else None
            posted += gap or timedelta(minutes=rng.uniform(5, 180))
        changes = []
        if n == 0 or status == IncidentStatus.RESOLVED:
            old, new = ComponentStatus.OPERATIONAL, COMPONENT_STATUS_FOR[impact]
            old, new = (new, old) if n else (old, new)
            changes = [
                {"component_id": c.pk, "name": c.name, "old_status": old, "new_status": new}
                for c in affected
            ]
        body = BODIES[status].format(symptom=symptom, names=names, verb=verb)
        update = IncidentUpdate(status=status, body=body, posted_at=posted, created_at=posted)
        update.component_changes = changes
        rows.updates.append((incident, update))
        if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
            incident.monitoring_at = posted
        if status == IncidentStatus.RESOLVED:
            incident.resolved_at = posted
    incident.status = statuses[-1]
    incident.updated_at = posted
    return incident


def _add_maintenance(
    rng: random.Random,
    rows: _Rows,
    components: list[Component],
    start: datetime,
    path: list[str],
) -> Maintenance:
    hours = rng.choice([1, 2, 2, 3, 4])
    start = start.replace(hour=rng.choice([4, 5, 6]), minute=0, second=0, microsecond=0)
    affected = rng.sample(components, rng.randint(1, min(3, len(components))))
    created = start - timedelta(days=rng.uniform(3, 14))
    maintenance = Maintenance(
        title=f"{affected[0].name} upgrade",
        body="We are upgrading the servers behind "
        f"{', '.join(c.name for c in affected)}.\n\nExpect short interruptions.",
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=hours),
        created_at=created,
    )
    rows.maintenance.append(maintenance)
    rows.maintenance_components += [(maintenance, c) for c in affected]
    posted = created
    for status in path:
        if status == "rescheduled":
            posted += timedelta(days=1)
            maintenance.scheduled_start += timedelta(days=7)
            maintenance.scheduled_end += timedelta(days=7)
            maintenance.sequence += 1
            maintenance.started_at = None
        elif status == "in_progress":
            posted = maintenance.scheduled_start
            maintenance.started_at = posted
        elif status in ("verifying", "postponed"):
            posted += timedelta(minutes=rng.uniform(20, 50))
        elif status == "completed":
            posted = maintenance.completed_at = maintenance.scheduled_end
        elif status == "cancelled":
            posted += timedelta(hours=rng.uniform(1, 24))
        update = MaintenanceUpdate(status=status, posted_at=posted, created_at=posted)
        update.body = "" if status == "scheduled" else f"Now {status.replace('_', ' ')}."
        update.window_start = maintenance.scheduled_start
        update.window_end = maintenance.scheduled_end
        rows.maintenance_updates.append((maintenance, update))
    maintenance.status = path[-1]
    maintenance.updated_at = posted
    return maintenance


def _add_posts(rng: random.Random, count: int, now: datetime, subjects: list) -> None:
    made = [
        Category.objects.get_or_create(name=name, defaults={"slug": slugify(name), "position": n})
        for n, name in enumerate(CATEGORIES)
    ]
    categories = [category for category, _ in made]
    tags = [Tag.objects.get_or_create(name=name, defaults={"slug": name})[0] for name in TAGS]
    posts, links = [], []
    start = Post.objects.count()
    for n in range(count):
        subject = rng.choice(subjects) if subjects and rng.random() < 0.6 else None
        if isinstance(subject, Incident):
            title, published = f"What happened: {subject.title}", subject.updated_at
            kind = {"incident": subject}
            chosen = [categories[0]]
        elif isinstance(subject, Maintenance):
            title, published = f"Planned: {subject.title}", subject.created_at
            kind = {"maintenance": subject}
            chosen = [categories[1]]
        else:
            title = f"News {n + 1}: {rng.choice(['new', 'faster', 'safer'])} {rng.choice(TAGS)}"
            published, kind = now - timedelta(days=rng.uniform(1, 365 * YEARS)), {}
            chosen = rng.sample(categories[2:], rng.randint(1, 2))
        body = f"A short summary of the change.\n\n{MORE_MARKER}\n\nThe long story, in detail. {n}"
        post = Post(
            title=title,
            slug=f"{slugify(title)[:180]}-{start + n + 1}",
            body=body,
            published_at=published if n % 50 else None,
            created_at=published,
            updated_at=published,
            **kind,
        )
        posts.append(post)
        links.append((post, chosen, rng.sample(tags, rng.randint(0, 2))))
    Post.objects.bulk_create(posts)
    Post.categories.through.objects.bulk_create(
        Post.categories.through(post_id=p.pk, category_id=c.pk)
        for p, cats, _ in links
        for c in cats
    )
    Post.tags.through.objects.bulk_create(
        Post.tags.through(post_id=p.pk, tag_id=t.pk) for p, _, tags_ in links for t in tags_
    )


def _save(rows: _Rows) -> None:
    Incident.objects.bulk_create(rows.incidents)
    Maintenance.objects.bulk_create(rows.maintenance)
    for incident, update in rows.updates:
        update.incident = incident
    IncidentUpdate.objects.bulk_create(u for _, u in rows.updates)
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=i, component=c, status=s) for i, c, s in rows.affected
    )
    for maintenance, update in rows.maintenance_updates:
        update.maintenance = maintenance
    MaintenanceUpdate.objects.bulk_create(u for _, u in rows.maintenance_updates)
    Maintenance.components.through.objects.bulk_create(
        Maintenance.components.through(maintenance_id=m.pk, component_id=c.pk)
        for m, c in rows.maintenance_components
    )


@transaction.atomic
def generate_history(
    incidents: int = 1000,
    posts: int = 300,
    maintenance: int = 100,
    seed: int = 1,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fill the database with YEARS of history; return how many rows of each kind were made."""
    rng = random.Random(seed)
    now = now or timezone.now()
    span = timedelta(days=365 * YEARS).total_seconds()
    components = _components(now - timedelta(seconds=span))
    rows = _Rows()
    for _ in range(incidents - 1):
        statuses = _incident_statuses(rng)
        started = now - timedelta(seconds=rng.uniform(0, span))
        # Every resolved incident ends in the past: at most ~15 h of updates plus a postmortem.
        started = min(started, now - timedelta(hours=15 + 5 * 24 * (statuses[-1] == "postmortem")))
        _add_incident(rng, rows, components, started, statuses)
    open_incident = _add_incident(
        rng,
        rows,
        components[:1],
        now - timedelta(hours=3, minutes=10),
        [IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED],
    )
    for _ in range(maintenance - 1):
        weights, paths = zip(*MAINTENANCE_PATHS, strict=True)
        start = now - timedelta(seconds=rng.uniform(30 * 86400, span))
        _add_maintenance(rng, rows, components, start, rng.choices(paths, weights)[0])
    _add_maintenance(rng, rows, components, now + timedelta(days=3), ["scheduled"])
    _save(rows)
    held = {c.pk: s for i, c, s in rows.affected if i is open_incident}
    for component in components:
        component.status = held.get(component.pk, ComponentStatus.OPERATIONAL)
    Component.objects.bulk_update(components, ["status"])
    # No action wrote these changes: their periods and days come from the record.
    replayed = replay_periods(component_ids=[c.pk for c in components])
    roll_up_history(replayed, now=now)
    _add_posts(rng, posts, now, [*rows.incidents[:-1], *rows.maintenance[:-1]])
    # bulk_create sends no post_save: move the publication token so no cached page survives.
    PublicationState.bump()
    made = {name: len(getattr(rows, name)) for name in ("incidents", "maintenance", "updates")}
    return {**made, "components": len(components), "posts": posts}
