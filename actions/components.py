"""Components and their groups: add, edit, order, delete, each with its audit entry."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from actions.steps import Author, apply_component_statuses, validate_component_statuses
from incidents.auditing import Snapshot, record_audit, snapshot
from incidents.models import (
    Component,
    ComponentGroup,
    IncidentComponent,
    Maintenance,
    PeriodCause,
    Probe,
    StatusPeriod,
)
from incidents.uptime.days import refresh_uptime
from notifier.ledger import record_notice
from notifier.models import NoticeKind
from notifier.registry import all_channels

UP, DOWN = -1, 1
# A component or a group: both have a position among their siblings.
M = TypeVar("M", Component, ComponentGroup)


def _name(name: str, model: type[models.Model], *, exclude: models.Model | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give it a name."})
    taken = model._default_manager.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        noun = "group" if model is ComponentGroup else "component"
        raise ValidationError({"name": f"There is already a {noun} called {name!r}."})
    return name


def _next_position(rows: models.QuerySet) -> int:
    return (rows.aggregate(last=Max("position"))["last"] or 0) + 1


def _siblings(component: Component) -> models.QuerySet[Component]:
    return Component.objects.filter(group_id=component.group_id)


@transaction.atomic
def create_group(*, name: str, description: str = "", author: Author = None) -> ComponentGroup:
    group = ComponentGroup.objects.create(
        name=_name(name, ComponentGroup),
        description=description.strip(),
        position=_next_position(ComponentGroup.objects.all()),
    )
    record_audit("group.created", group, actor=author, after=snapshot(group))
    return group


@transaction.atomic
def update_group(
    group: ComponentGroup, *, name: str, description: str = "", author: Author = None
) -> ComponentGroup:
    group = ComponentGroup.objects.select_for_update().get(pk=group.pk)
    before = snapshot(group)
    group.name = _name(name, ComponentGroup, exclude=group)
    group.description = description.strip()
    group.save(update_fields=["name", "description", "updated_at"])
    record_audit("group.edited", group, actor=author, before=before, after=snapshot(group))
    return group


@transaction.atomic
def delete_group(group: ComponentGroup, *, author: Author = None) -> None:
    """Delete an empty group; one with components must be emptied first."""
    group = ComponentGroup.objects.select_for_update().get(pk=group.pk)
    if count := group.components.count():
        raise ValidationError(
            f"{group.name} still holds {count} component{'s' if count != 1 else ''}: "
            "move them to another group first."
        )
    record_audit("group.deleted", group, actor=author, before=snapshot(group))
    group.delete()


@transaction.atomic
def create_component(
    *,
    name: str,
    description: str = "",
    group: ComponentGroup | None = None,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    since: datetime | None = None,
    author: Author = None,
) -> Component:
    """A new component, operational, last in its group; its history starts now, or at
    `since` for an importer that then writes its past in time order."""
    if since is not None and timezone.is_naive(since):
        raise ValidationError({"since": "Give the time with its time zone."})
    component = Component(
        name=_name(name, Component),
        description=description.strip(),
        group=group,
        showcase=showcase,
        only_show_if_degraded=only_show_if_degraded,
        **({"created_at": since} if since else {}),
    )
    component.position = _next_position(_siblings(component))
    component.save()
    StatusPeriod.objects.start_history(component, component.status)
    refresh_uptime([component.pk], component.created_at)
    record_audit("component.created", component, actor=author, after=snapshot(component))
    return component


@transaction.atomic
def update_component(
    component: Component,
    *,
    name: str,
    description: str = "",
    group: ComponentGroup | None = None,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    author: Author = None,
) -> Component:
    """Edit a component; its status changes only through set_component_status."""
    component = Component.objects.select_for_update().get(pk=component.pk)
    before = snapshot(component)
    component.name = _name(name, Component, exclude=component)
    component.description = description.strip()
    component.showcase = showcase
    component.only_show_if_degraded = only_show_if_degraded
    if (group.pk if group else None) != component.group_id:
        component.group = group
        component.position = _next_position(_siblings(component).exclude(pk=component.pk))
    component.save()
    record_audit(
        "component.edited", component, actor=author, before=before, after=snapshot(component)
    )
    return component


def _swap(rows: list[M], obj: M, direction: int) -> list[tuple[M, Snapshot]] | None:
    """Swap `obj` with its neighbour in `rows` and number them 1..n in their new order.

    Returns each row whose place changed (`obj` first, then the neighbour and any row
    renumbered on the way) with its snapshot from before, or None when `obj` is at an end.
    """
    index = next(i for i, row in enumerate(rows) if row.pk == obj.pk)
    other = index + direction
    if not 0 <= other < len(rows):
        return None
    rows[index], rows[other] = rows[other], rows[index]
    changed = []
    for position, row in enumerate(rows, start=1):
        if row.pk == obj.pk or row.position != position:
            before = snapshot(row)
            row.position = position
            row.save(update_fields=["position", "updated_at"])
            changed.append((row, before))
    changed.sort(key=lambda pair: pair[0].pk != obj.pk)
    return changed


def _audit_moves(action: str, changed: list[tuple[M, Snapshot]], author: Author) -> None:
    """One entry per row whose place changed: the one moved and the neighbour it swapped with."""
    for row, before in changed:
        record_audit(action, row, actor=author, before=before, after=snapshot(row))


@transaction.atomic
def move_component(component: Component, direction: int, *, author: Author = None) -> bool:
    """Move a component one place up (-1) or down (+1) within its group; False at an end."""
    component = Component.objects.select_for_update().get(pk=component.pk)
    rows = list(_siblings(component).select_for_update().order_by("position", "name", "pk"))
    changed = _swap(rows, component, direction)
    if changed is None:
        return False
    _audit_moves("component.moved", changed, author)
    return True


@transaction.atomic
def move_group(group: ComponentGroup, direction: int, *, author: Author = None) -> bool:
    """Move a group one place up (-1) or down (+1) on the page; False at an end."""
    group = ComponentGroup.objects.select_for_update().get(pk=group.pk)
    rows = list(ComponentGroup.objects.select_for_update().order_by("position", "name", "pk"))
    changed = _swap(rows, group, direction)
    if changed is None:
        return False
    _audit_moves("group.moved", changed, author)
    return True


def component_references(component: Component) -> dict[str, int]:
    """What still names the component: its history, and the readers who chose it."""
    from notifier.models import Subscriber, WebhookEndpoint

    return {
        "incidents": IncidentComponent.objects.filter(component=component).count(),
        "maintenance": Maintenance.components.through.objects.filter(component=component).count(),
        "followers": Subscriber.components.through.objects.filter(component=component).count()
        + WebhookEndpoint.components.through.objects.filter(component=component).count(),
    }


@transaction.atomic
def delete_component(component: Component, *, author: Author = None) -> None:
    """Delete a component nothing refers to; one with a history must be hidden instead.

    Deleting it would take it out of past incidents and maintenance windows,
    which would then say less than they said when they were published, and a
    subscriber who chose only it would silently start getting everything.
    """
    component = Component.objects.select_for_update().get(pk=component.pk)
    refs = component_references(component)
    if any(refs.values()):
        raise ValidationError(
            f"{component.name} stays: {refs['incidents']} incident(s) and "
            f"{refs['maintenance']} maintenance window(s) name it, and {refs['followers']} "
            "subscriber(s) or webhook(s) chose it. Untick “Show on the status page” to hide "
            "it instead."
        )
    record_audit("component.deleted", component, actor=author, before=snapshot(component))
    component.delete()


@transaction.atomic
def set_status_by_probe(
    component: Component, status: str, *, probe: Probe, at: datetime | None = None
) -> bool:
    """A probe sets the component's status (failing, or back on recovery); whether it changed.

    Recorded as caused by the probe, in the audit log as the system's act. Only the mirror
    hears of it, so the static page says what the live one says: no subscriber, not even a
    webhook, is told anything without a person. `at` is when the probe noticed; if the
    status changed after that, the probe's change counts from then (never refused).
    """
    validate_component_statuses({component: status})
    component.refresh_from_db()
    before = snapshot(component)
    at = at or timezone.now()
    last = StatusPeriod.objects.last_change([component])
    changes = apply_component_statuses(
        {component: status},
        at=at if last is None else max(at, last),
        cause=PeriodCause.PROBE,
        probe=probe,
    )
    if not changes:
        return False
    component.refresh_from_db()
    record_audit(
        "component.status",
        component,
        actor=None,
        before=before,
        after=snapshot(component, probe=probe.name),
    )
    record_notice(
        NoticeKind.COMPONENT_UPDATED,
        channels=[channel.name for channel in all_channels() if channel.is_mirror],
        component=component,
        status_change=(before["status"], component.status),
    )
    return True
