"""Template filters for the console: ages, audit wording, form lookups."""

from __future__ import annotations

from datetime import datetime

from django import forms, template
from django.utils import timezone

from incidents import timefmt
from incidents.models import AuditEntry

register = template.Library()

AUDIT_VERBS = {
    "incident.opened": "opened the incident",
    "incident.updated": "posted an update",
    "incident.resolved": "resolved the incident",
    "maintenance.scheduled": "scheduled the maintenance",
    "maintenance.note": "posted a note",
    "maintenance.in_progress": "started the maintenance",
    "maintenance.completed": "completed the maintenance",
    "maintenance.postponed": "postponed the maintenance",
    "maintenance.rescheduled": "rescheduled the maintenance",
    "maintenance.cancelled": "cancelled the maintenance",
    "template.created": "created the template",
    "template.edited": "edited the template",
    "template.deleted": "deleted the template",
    "post.published": "published the post",
    "component.status": "set the component's status",
}


@register.filter
def age(moment: datetime | None) -> str:
    """'3 h 12 min', '2 d 4 h': how long ago, in the units an on-call person thinks in."""
    if moment is None:
        return ""
    minutes = max(0, int((timezone.now() - moment).total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@register.filter
def stamp(moment: datetime | None) -> str:
    return timefmt.stamp(moment) if moment else ""


@register.filter
def field(form: forms.Form, name: str) -> forms.BoundField:
    return form[name]


@register.filter
def get(mapping: dict, key: str) -> object:
    return mapping.get(key) if mapping else None


@register.filter
def audit_verb(entry: AuditEntry) -> str:
    if entry.action in AUDIT_VERBS:
        return AUDIT_VERBS[entry.action]
    subject, _, verb = entry.action.partition(".")
    return f"{verb.replace('_', ' ')} ({subject})" if verb else entry.action
