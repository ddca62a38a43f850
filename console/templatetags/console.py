"""Template filters for the console: ages, audit wording, form lookups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django import forms, template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from console.audit_changes import Change, readable_changes
from console.forms.translations import language_name
from incidents import timefmt
from incidents.models import AuditEntry
from incidents.models.translations import Translatable, other_languages

register = template.Library()

AUDIT_VERBS = {
    "incident.opened": "opened the incident",
    "incident.updated": "posted an update",
    "incident.resolved": "resolved the incident",
    "maintenance.scheduled": "scheduled the maintenance",
    "maintenance.note": "posted a note",
    "maintenance.in_progress": "started the maintenance",
    "maintenance.verifying": "started verifying the maintenance",
    "maintenance.completed": "completed the maintenance",
    "maintenance.postponed": "postponed the maintenance",
    "maintenance.rescheduled": "rescheduled the maintenance",
    "maintenance.cancelled": "cancelled the maintenance",
    "template.created": "created the template",
    "template.edited": "edited the template",
    "template.deleted": "deleted the template",
    "post.drafted": "drafted the post",
    "post.edited": "edited the post",
    "post.published": "published the post",
    "post.unpublished": "took the post back to draft",
    "post.deleted": "deleted the draft",
    "component.created": "added the component",
    "component.edited": "edited the component",
    "component.moved": "moved the component",
    "component.deleted": "deleted the component",
    "component.status": "set the component's status",
    "group.created": "added the group",
    "group.edited": "edited the group",
    "group.moved": "moved the group",
    "group.deleted": "deleted the group",
    "notice.retry_failed": "retried the failed deliveries of",
    "webhook.created": "registered the webhook",
    "webhook.disabled": "disabled the webhook",
    "webhook.enabled": "enabled the webhook",
    "webhook.deleted": "deleted the webhook",
    "api_token.created": "issued the API token",
    "api_token.disabled": "disabled the API token",
    "api_token.enabled": "enabled the API token",
    "api_token.deleted": "deleted the API token",
    "staff.created": "created the account",
    "staff.role": "changed the role of",
    "staff.reset_2fa": "reset the second factor of",
    "staff.deactivated": "deactivated",
    "staff.reactivated": "reactivated",
    "staff.login": "logged in",
    "staff.logout": "logged out",
    "staff.enrolled": "set up their authenticator and logged in",
    "staff.password_ok": "gave the right password",
    "staff.bad_code": "gave a wrong two-factor code",
    "incident.translated": "translated the incident",
    "maintenance.translated": "translated the maintenance",
    "post.translated": "translated the post",
    "component.translated": "translated the component",
    "group.translated": "translated the group",
    "template.translated": "translated the template",
    "category.translated": "translated the category",
    "tag.translated": "translated the tag",
}
# The translation pages only admins reach (they alone edit these).
SETUP_TRANSLATIONS = ("component", "group", "category", "tag")


@register.simple_tag
def translation_links(item: Translatable, kind: str) -> SafeString:
    """'Add the Norwegian text' (or 'Edit'), for each language `item` was not written in."""
    name = "console:translate_setup" if kind in SETUP_TRANSLATIONS else "console:translate"
    url = reverse(name, args=[kind, item.pk])
    links = [
        format_html(
            '<a class="translation-link" href="{}?language={}">{} the {} text</a>',
            url,
            language,
            "Edit" if item.translation(language) else "Add",
            language_name(language),
        )
        for language in other_languages(item.language)
    ]
    return format_html_join(" · ", "{}", ((link,) for link in links))


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
def minutes_text(late: timedelta | None) -> str:
    """'7 min', '1 h 5 min': how late, never '0 min' for something that is late."""
    if late is None:
        return ""
    hours, minutes = divmod(max(1, int(late.total_seconds() // 60)), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@register.filter
def clock_near(moment: datetime | None, reference: datetime) -> str:
    return timefmt.clock_near(moment, reference) if moment else ""


@register.filter
def stamp(moment: datetime | None) -> str:
    return timefmt.stamp(moment) if moment else ""


@register.filter
def field(form: forms.Form, name: str) -> forms.BoundField:
    return form[name]


@register.filter
def get(mapping: dict, key: str) -> object:
    return mapping.get(key) if mapping else None


@register.simple_tag
def audit_rows(entries: Iterable[AuditEntry]) -> list[tuple[AuditEntry, list[Change]]]:
    return readable_changes(entries)


@register.filter
def audit_verb(entry: AuditEntry) -> str:
    if entry.action in AUDIT_VERBS:
        return AUDIT_VERBS[entry.action]
    subject, _, verb = entry.action.partition(".")
    if verb.startswith("admin_"):
        return f"{verb.removeprefix('admin_')} the {subject} in the Django admin"
    return f"{verb.replace('_', ' ')} ({subject})" if verb else entry.action
