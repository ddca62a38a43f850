"""Any change to what the public site shows moves the publication token (see publication.py).

Signals rather than calls in each action, so edits made in the admin count too. A day's
uptime row saved or deleted as a model also rolls its component's window up again (the
writers of rows in bulk do so themselves: incidents/uptime/days.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from incidents.models import (
    Category,
    Component,
    ComponentGroup,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
    PublicationState,
    Tag,
    UptimeDay,
)
from incidents.uptime.window import roll_up_window

PUBLIC_MODELS = (
    Category,
    Component,
    ComponentGroup,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
    Tag,
    # The bars: a rollup written at the day's end changes pages with no other save.
    UptimeDay,
)


def _changed(sender: type, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    PublicationState.bump()


def _day_saved(sender: type, instance: UptimeDay, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        roll_up_window(instance.component_id)


def _day_deleted(sender: type, instance: UptimeDay, **kwargs: Any) -> None:
    # Only the row's own delete: a cascade from its component (or a queryset's delete, as
    # a bulk writer's) has nothing to roll up, or rolls it up itself.
    if isinstance(kwargs.get("origin"), UptimeDay):
        roll_up_window(instance.component_id)


def connect() -> None:
    for model in PUBLIC_MODELS:
        post_save.connect(_changed, sender=model, dispatch_uid=f"publish-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"unpublish-{model.__name__}")
    for through in (Post.categories.through, Post.tags.through, Maintenance.components.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"m2m-{through.__name__}")
    post_save.connect(_day_saved, sender=UptimeDay, dispatch_uid="uptime-window-save")
    post_delete.connect(_day_deleted, sender=UptimeDay, dispatch_uid="uptime-window-delete")
