"""Record which incident, maintenance and post pages a save or delete changed.

Connected to the same signals that move the publication token
(incidents/signals.py), so edits in the admin count too. Only while a mirror
target is configured: otherwise nobody would ever read the rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from incidents.models import (
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
)
from notifier.mirror.targets import configured_targets

# Model -> (kind, the attribute holding the owning page's id).
OWNERS: dict[type, tuple[str, str]] = {
    Incident: ("incident", "pk"),
    IncidentUpdate: ("incident", "incident_id"),
    IncidentComponent: ("incident", "incident_id"),
    Maintenance: ("maintenance", "pk"),
    MaintenanceUpdate: ("maintenance", "maintenance_id"),
    Post: ("post", "pk"),
}


def mirroring() -> bool:
    return bool(configured_targets())


def _record(kind: str, object_id: int | None) -> None:
    from notifier.mirror.models import MirrorChange

    if object_id is not None and mirroring():
        MirrorChange.objects.create(kind=kind, object_id=object_id)


def _saved(sender: type, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    kind, attribute = OWNERS[sender]
    _record(kind, getattr(instance, attribute))


def _related(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    # Only the forward side names one page (a post's tags, a window's components).
    if action.startswith("post_") and isinstance(instance, (Post, Maintenance)):
        _record("post" if isinstance(instance, Post) else "maintenance", instance.pk)


def connect() -> None:
    for model in OWNERS:
        post_save.connect(_saved, sender=model, dispatch_uid=f"mirror-saved-{model.__name__}")
        post_delete.connect(_saved, sender=model, dispatch_uid=f"mirror-gone-{model.__name__}")
    for through in (Post.categories.through, Post.tags.through, Maintenance.components.through):
        m2m_changed.connect(_related, sender=through, dispatch_uid=f"mirror-m2m-{through.__name__}")
