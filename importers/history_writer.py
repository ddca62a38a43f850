"""Writing a source's items through the actions: no channels, the source's own times.

Every row an item becomes gets a `SourceKey`, so a second import of the same source finds it
and adds only what is new (later updates, a corrected title) instead of a second copy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

import actions
from importers.history_items import (
    ComponentItem,
    GroupItem,
    MaintenanceItem,
    SourceError,
    UpdateItem,
)
from importers.models import SourceKey, TargetKind
from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    InvalidTransition,
    Maintenance,
    MaintenanceStatus,
)

Row = TypeVar("Row", bound=models.Model)
NO_CHANNELS: list[str] = []  # an import tells nobody
# The status a component the incident lists, but no update moved, had during it.
STATUS_OF_IMPACT: dict[str, str] = {
    Impact.NONE: ComponentStatus.OPERATIONAL,
    Impact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), counted by kind and outcome."""

    dry_run: bool = False
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # Called with one line per item written, for --dry-run's plan; None keeps nothing.
    say: Callable[[str], None] | None = None

    def note(self, kind: str, outcome: str, text: str = "") -> None:
        self.counts[(kind, outcome)] += 1
        if self.say is not None and text:
            self.say(f"{kind} {outcome}: {text}")

    def skip(self, reason: str, text: str = "") -> None:
        """Count an item left out; `text` names it (and says why) in the dry run's plan."""
        self.skipped[reason] += 1
        if self.say is not None and text:
            self.say(f"skipped: {text}")

    def summary(self) -> list[str]:
        kinds = dict.fromkeys(kind for kind, _ in self.counts)
        lines = []
        for kind in kinds:
            parts = [f"{n} {outcome}" for (k, outcome), n in self.counts.items() if k == kind]
            lines.append(f"{kind}: {', '.join(parts)}")
        lines += [f"skipped: {n} {reason}" for reason, n in self.skipped.items()]
        return lines


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def fit(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HistoryWriter:
    def __init__(
        self, source: str, report: ImportReport, imported: actions.ImportedHistory | None = None
    ):
        self.source = source
        self.report = report
        self.imported = imported or actions.ImportedHistory()
        self.now = timezone.now()
        self.components: dict[str, Component] = {}
        self.groups: dict[str, ComponentGroup] = {}

    def keyed(self, kind: str, source_id: str) -> SourceKey | None:
        # Not .first(): its ORDER BY id may lead SQLite to walk the table instead of the
        # unique index, once per item: quadratic over a long history.
        found = SourceKey.objects.filter(source=self.source, kind=kind, source_id=source_id)
        return next(iter(found), None)

    def key(self, kind: str, source_id: str, row: models.Model) -> SourceKey:
        return SourceKey(
            source=self.source, kind=kind, source_id=source_id, imported_at=self.now, **{kind: row}
        )

    def remember(self, kind: str, source_id: str, row: models.Model) -> None:
        self.key(kind, source_id, row).save()

    # Components and groups

    def write_groups(self, groups: Iterable[GroupItem], where: str) -> None:
        groups = sorted(groups, key=lambda g: g.position)
        _no_two_named_alike(groups, "groups", where)
        for item in groups:
            name = fit(item.name, 100)
            description = fit(item.description, 300)
            key = self.keyed(TargetKind.COMPONENT_GROUP, item.source_id)
            group = target_of(key, ComponentGroup) if key else None
            outcome = "updated"
            if group is None:
                group = ComponentGroup.objects.filter(name__iexact=name).first()
                outcome = "linked to the one of its name here"
                if group is None:
                    group = actions.create_group(name=name, description=description)
                    outcome = "created"
                self.remember(TargetKind.COMPONENT_GROUP, item.source_id, group)
            if outcome != "created" and (group.name, group.description) != (name, description):
                group = actions.update_group(group, name=name, description=description)
            elif outcome == "updated":
                outcome = "unchanged"
            self.report.note("group", outcome, name)
            self.groups[item.source_id] = group

    def write_components(self, components: Iterable[ComponentItem], where: str) -> None:
        components = sorted(components, key=lambda c: c.position)
        _no_two_named_alike(components, "components", where)
        for item in components:
            group = None
            if item.group_id is not None:
                group = self.groups.get(item.group_id)
                if group is None:
                    raise SourceError(
                        f"{where}, component {item.source_id}",
                        f"its group {item.group_id!r} is not among the groups",
                    )
            self.components[item.source_id] = self._write_component(item, group)

    def _write_component(self, item: ComponentItem, group: ComponentGroup | None) -> Component:
        """Create it, or bring the one it became (or one of its name here) to the source's
        fields: the source is the truth for what it names."""
        name, description = fit(item.name, 100), fit(item.description, 300)
        fields = {
            "name": name,
            "description": description,
            "group": group,
            "showcase": item.showcase,
            "only_show_if_degraded": item.only_show_if_degraded,
        }
        key = self.keyed(TargetKind.COMPONENT, item.source_id)
        component = target_of(key, Component) if key else None
        outcome = "updated"
        if component is None:
            component = Component.objects.filter(name__iexact=name).first()
            if component is None:
                component = actions.create_component(
                    name=name,
                    description=description,
                    group=group,
                    showcase=item.showcase,
                    only_show_if_degraded=item.only_show_if_degraded,
                )
                self.remember(TargetKind.COMPONENT, item.source_id, component)
                self.imported.described.add(component.pk)
                self.report.note("component", "created", component.name)
                return component
            self.remember(TargetKind.COMPONENT, item.source_id, component)
            outcome = "linked to the one of its name here"
        self.imported.described.add(component.pk)
        if all(getattr(component, field) == value for field, value in fields.items()):
            self.report.note("component", "unchanged" if key else outcome)
            return component
        component = actions.update_component(
            component,
            name=name,
            description=description,
            group=group,
            showcase=item.showcase,
            only_show_if_degraded=item.only_show_if_degraded,
        )
        self.report.note("component", outcome, component.name)
        return component

    def settle_component_statuses(self, components: Iterable[ComponentItem]) -> None:
        """Each component ends as the source has it now, whatever the history moved it to."""
        for item in components:
            component = self.components[item.source_id]
            actions.set_component_status(component, item.status, channels=NO_CHANNELS)

    def component(self, source_id: str) -> Component | None:
        """The component a source id became; None for one no longer on the page (counted)."""
        component = self.components.get(source_id)
        if component is None:
            self.report.skip("mentions of a component that is no longer on the page")
        return component

    def statuses(self, update: UpdateItem) -> dict[Component, str]:
        found = {self.component(c): status for c, status in update.component_statuses.items()}
        return {component: status for component, status in found.items() if component}

    # Maintenance

    def write_maintenance(self, item: MaintenanceItem) -> None:
        updates = sorted(item.updates, key=lambda u: u.posted_at)
        self.imported.seen(item.created_at, *(u.posted_at for u in updates[:1]))
        try:
            self._write_maintenance(item, updates)
        except (ValidationError, InvalidTransition) as error:
            raise SourceError(item.where, error_text(error)) from None

    def _write_maintenance(self, item: MaintenanceItem, updates: list[UpdateItem]) -> None:
        title = fit(item.title, 200)
        key = self.keyed(TargetKind.MAINTENANCE, item.source_id)
        if key is not None:
            maintenance = target_of(key, Maintenance)
            known = set(
                SourceKey.objects.filter(
                    source=self.source,
                    kind=TargetKind.MAINTENANCE_UPDATE,
                    source_id__in=[u.source_id for u in updates],
                ).values_list("source_id", flat=True)
            )
            new = [u for u in updates if u.source_id not in known]
            self._move(maintenance, new)
            self.report.note(
                "maintenance", "updated" if new else "unchanged", f"{title} ({len(new)} new)"
            )
            return
        announcement = updates[0] if updates and updates[0].status == "scheduled" else None
        maintenance = actions.schedule_maintenance(
            title=title,
            body=item.body or (announcement.body if announcement else ""),
            scheduled_start=item.scheduled_start,
            scheduled_end=item.scheduled_end,
            components=[c for c in map(self.component, item.component_ids) if c],
            posted_at=min([item.created_at, *(u.posted_at for u in updates[:1])]),
            channels=NO_CHANNELS,
        )
        self.remember(TargetKind.MAINTENANCE, item.source_id, maintenance)
        if announcement is not None:
            scheduled = maintenance.updates.get()
            self.remember(TargetKind.MAINTENANCE_UPDATE, announcement.source_id, scheduled)
            updates = updates[1:]
        self.report.note(
            "maintenance", "created", f"{title} ({counted(len(updates) + 1, 'update')})"
        )
        self._move(maintenance, updates)

    def _move(self, maintenance: Maintenance, updates: list[UpdateItem]) -> None:
        moves = {
            MaintenanceStatus.IN_PROGRESS: actions.start_maintenance,
            MaintenanceStatus.VERIFYING: actions.verify_maintenance,
            MaintenanceStatus.COMPLETED: actions.complete_maintenance,
        }
        for update in updates:
            maintenance.refresh_from_db(fields=["status"])
            act = moves.get(update.status)  # type: ignore[call-overload]
            if act is None or maintenance.status == update.status:
                act = actions.post_maintenance_note
            row = act(
                maintenance,
                body=update_body(update),
                posted_at=update.posted_at,
                channels=NO_CHANNELS,
            )
            self.remember(TargetKind.MAINTENANCE_UPDATE, update.source_id, row)


def target_of(key: SourceKey, model: type[Row]) -> Row:
    row = key.target
    if not isinstance(row, model):
        raise TypeError(f"{key} points at {row!r}, not a {model.__name__}")
    return row


def update_body(update: UpdateItem) -> str:
    # Statuspage lets an update change only the status; ours always say something.
    return update.body.strip() or f"Status: {update.status.replace('_', ' ')}."


def error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _no_two_named_alike(items: Iterable[GroupItem | ComponentItem], what: str, where: str) -> None:
    seen: dict[str, str] = {}
    for item in items:
        name = " ".join(item.name.split()).casefold()
        if name in seen:
            raise SourceError(
                where,
                f"two {what} are called {item.name!r} (ids {seen[name]} and {item.source_id}); "
                "names must differ here",
            )
        seen[name] = item.source_id
