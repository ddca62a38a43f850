"""Opening, updating and resolving incidents; setting a component's status."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from actions.steps import (
    Author,
    Channels,
    ComponentStatuses,
    apply_component_statuses,
    later,
    release_components,
    required_body,
    take_version,
    validate_component_statuses,
)
from actions.translations import Translations, audit_lines, publish_translations
from incidents.auditing import authenticated_user, record_audit, snapshot
from incidents.models import (
    OPEN_INCIDENT_STATUSES,
    Component,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    PeriodCause,
)
from notifier.ledger import record_notice
from notifier.models import NoticeKind

# How far ahead an update may promise the next one: further is no promise readers can use.
LONGEST_PROMISE = timedelta(days=7)
PROMISE_MINUTES = range(5, 24 * 60 + 1)


def promise_in(minutes: int, now: datetime | None = None) -> datetime:
    """The time `minutes` from now, for "next update in 30 minutes"."""
    if minutes not in PROMISE_MINUTES:
        raise ValidationError(
            {"next_update_by": f"Promise the next update in 5 to {PROMISE_MINUTES[-1]} minutes."}
        )
    return (now or timezone.now()) + timedelta(minutes=minutes)


def check_promise(next_update_by: datetime | None, status: str) -> datetime | None:
    """The promise to store with an update: none once resolved, else a time ahead of now."""
    if next_update_by is None or status not in OPEN_INCIDENT_STATUSES:
        return None  # resolving clears the promise: a resolved incident owes no update
    if timezone.is_naive(next_update_by):
        raise ValueError("next_update_by must be an aware datetime")
    now = timezone.now()
    if next_update_by <= now:
        raise ValidationError({"next_update_by": "The next update must be promised for later."})
    if next_update_by > now + LONGEST_PROMISE:
        raise ValidationError(
            {"next_update_by": "Promise the next update within a week, or promise none."}
        )
    return next_update_by


@transaction.atomic
def open_incident(
    *,
    title: str,
    body: str,
    impact: str = Impact.MINOR,
    status: str = IncidentStatus.INVESTIGATING,
    component_statuses: ComponentStatuses | None = None,
    posted_at: datetime | None = None,
    started_at: datetime | None = None,
    next_update_by: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    translations: Translations | None = None,
) -> Incident:
    """Open an incident with its first update and set the affected components' statuses.

    `started_at` is when the problem began, if earlier than the first update;
    `next_update_by` is when readers are told to expect the next update; `translations`
    the title and body in the site's other languages ({"nb": {"title": ..., "body": ...}}),
    on the rows before the first notice is written, so every reader's copy carries them."""
    component_statuses = dict(component_statuses or {})
    posted_at = posted_at or timezone.now()
    started_at = started_at or posted_at
    if started_at > posted_at:
        raise ValidationError({"started_at": "An incident cannot start after its first update."})
    if not title.strip():
        raise ValidationError({"title": "An incident needs a title."})
    if impact not in Impact.values:
        raise ValidationError({"impact": f"{impact!r} is not an impact."})
    if status not in OPEN_INCIDENT_STATUSES:
        raise ValidationError(
            {"status": "A new incident starts as investigating, identified or monitoring."}
        )
    validate_component_statuses(component_statuses)
    body = required_body(body)
    next_update_by = check_promise(next_update_by, status)
    titles, bodies = publish_translations(translations, Incident, IncidentUpdate)
    incident = Incident.objects.create(
        title=title.strip(),
        translations=titles,
        impact=impact,
        status=status,
        started_at=started_at,
        monitoring_at=posted_at if status == IncidentStatus.MONITORING else None,
        created_at=posted_at,
        updated_at=posted_at,
    )
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=component, status=component_status)
        for component, component_status in component_statuses.items()
    )
    changes = apply_component_statuses(
        component_statuses,
        at=posted_at,
        backdate_to=started_at,
        cause=PeriodCause.INCIDENT,
        incident=incident,
    )
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        body=body,
        posted_at=posted_at,
        author=authenticated_user(author),
        component_changes=changes,
        next_update_by=next_update_by,
        translations=bodies,
    )
    record_notice(
        NoticeKind.INCIDENT_OPENED, channels=channels, incident=incident, incident_update=update
    )
    after = snapshot(incident, update=body, component_changes=changes)
    record_audit(
        "incident.opened",
        incident,
        actor=author,
        after={**after, **audit_lines(titles), **audit_lines(bodies)},
    )
    return incident


@transaction.atomic
def post_incident_update(
    incident: Incident,
    *,
    status: str,
    body: str,
    component_statuses: ComponentStatuses | None = None,
    posted_at: datetime | None = None,
    next_update_by: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> IncidentUpdate:
    """Post an update. Resolving returns components to operational unless told otherwise.

    `next_update_by`: when the next update is promised; resolving drops it.
    `translations`: the body in the site's other languages ({"nb": {"body": ...}}).

    `expected_version`: the incident's version the editor saw; if it has moved
    since, EditConflict is raised and nothing is written.
    """
    take_version(incident, expected_version)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = snapshot(incident)
    posted_at = posted_at or timezone.now()
    if status not in IncidentStatus.values:
        raise ValidationError({"status": f"{status!r} is not an incident status."})
    incident.check_transition(status)
    body = required_body(body)
    next_update_by = check_promise(next_update_by, status)
    [bodies] = publish_translations(translations, IncidentUpdate)
    component_statuses = dict(component_statuses or {})
    validate_component_statuses(component_statuses)

    for component, component_status in component_statuses.items():
        IncidentComponent.objects.update_or_create(
            incident=incident, component=component, defaults={"status": component_status}
        )
    if status in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM) and incident.is_open:
        affected = [row.component for row in incident.affected.select_related("component")]
        released = release_components(
            [c for c in affected if c not in component_statuses], ignoring=incident
        )
        component_statuses = {**released, **component_statuses}
    elif status in OPEN_INCIDENT_STATUSES and not incident.is_open:
        # Reopened: the components go back to what this incident gave them.
        restored = {
            row.component: row.status
            for row in incident.affected.select_related("component")
            if row.component not in component_statuses
        }
        component_statuses = {**restored, **component_statuses}
    changes = apply_component_statuses(
        component_statuses, at=posted_at, cause=PeriodCause.INCIDENT, incident=incident
    )

    fields = ["status", "updated_at"]
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = posted_at
        fields.append("monitoring_at")
    if status == IncidentStatus.RESOLVED and incident.is_open:
        incident.resolved_at = posted_at
        fields.append("resolved_at")
    if status in OPEN_INCIDENT_STATUSES and not incident.is_open:
        incident.resolved_at = None
        fields.append("resolved_at")
    incident.status = status
    incident.updated_at = later(incident.updated_at, posted_at)
    incident.save(update_fields=fields)
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        body=body,
        posted_at=posted_at,
        author=authenticated_user(author),
        component_changes=changes,
        next_update_by=next_update_by,
        translations=bodies,
    )
    kind = NoticeKind.for_incident(status)
    record_notice(kind, channels=channels, incident=incident, incident_update=update)
    after = snapshot(incident, update=body, component_changes=changes)
    record_audit(
        "incident.resolved" if kind == NoticeKind.INCIDENT_RESOLVED else "incident.updated",
        incident,
        actor=author,
        before=before,
        after={**after, **audit_lines(bodies)},
    )
    return update


def resolve_incident(
    incident: Incident,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> IncidentUpdate:
    return post_incident_update(
        incident,
        status=IncidentStatus.RESOLVED,
        body=body,
        posted_at=posted_at,
        author=author,
        channels=channels,
        expected_version=expected_version,
        translations=translations,
    )


@transaction.atomic
def amend_incident(
    incident: Incident, *, title: str, impact: str, author: Author = None
) -> Incident:
    """Correct an incident's title or impact; nobody is told (an import's second pass)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not title.strip():
        raise ValidationError({"title": "An incident needs a title."})
    if impact not in Impact.values:
        raise ValidationError({"impact": f"{impact!r} is not an impact."})
    if (incident.title, incident.impact) == (title.strip(), impact):
        return incident
    before = snapshot(incident)
    incident.title, incident.impact = title.strip(), impact
    incident.save(update_fields=["title", "impact"])
    record_audit(
        "incident.amended", incident, actor=author, before=before, after=snapshot(incident)
    )
    return incident


@transaction.atomic
def amend_incident_update(
    update: IncidentUpdate, *, body: str, author: Author = None
) -> IncidentUpdate:
    """Correct the text of a posted update; nobody is told (an import's second pass)."""
    body = required_body(body)
    if update.body == body:
        return update
    before = snapshot(update.incident, update=update.body)
    update.body = body
    update.save(update_fields=["body", "updated_at"])
    record_audit(
        "incident.amended",
        update.incident,
        actor=author,
        before=before,
        after=snapshot(update.incident, update=body),
    )
    return update


@transaction.atomic
def set_component_status(
    component: Component,
    status: str,
    *,
    author: Author = None,
    at: datetime | None = None,
    channels: Channels = None,
) -> Component:
    """Staff set a status without an incident: machines hear of it (webhooks, the mirror),
    people through an incident only (Channel.fits)."""
    validate_component_statuses({component: status})
    component.refresh_from_db()
    before = snapshot(component)
    at = at or timezone.now()
    apply_component_statuses({component: status}, at=at, cause=PeriodCause.STAFF)
    component.refresh_from_db()
    if before["status"] != component.status:
        # changed_at: when the period starts, for a replay of the history from this log
        after = snapshot(component, changed_at=at.isoformat())  # to the microsecond
        record_audit("component.status", component, actor=author, before=before, after=after)
        record_notice(
            NoticeKind.COMPONENT_UPDATED,
            channels=channels,
            component=component,
            status_change=(before["status"], component.status),
        )
    return component
