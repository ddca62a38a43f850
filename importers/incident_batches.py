"""Incidents written in batches: new ones whole (backfill_incidents), known ones updated.

A batch holds at most BATCH incidents, so memory stays flat however long the history is,
and a few statements write a whole batch: one lookup of the keys, one insert per table.
An incident seen before (its SourceKey) gets only what changed: its title and impact, the
text of its updates, and the updates that are new, posted through post_incident_update.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

import actions
from importers.history_items import IncidentItem, SourceError, UpdateItem
from importers.history_writer import (
    NO_CHANNELS,
    STATUS_OF_IMPACT,
    HistoryWriter,
    counted,
    error_text,
    fit,
    target_of,
    update_body,
)
from importers.models import SourceKey, TargetKind
from incidents.models import Incident, InvalidTransition

BATCH = 200


class IncidentBatches:
    def __init__(self, writer: HistoryWriter):
        self.writer = writer
        self.pending: list[tuple[IncidentItem, list[UpdateItem]]] = []

    def add(self, item: IncidentItem) -> None:
        if item.skipped:
            self.writer.report.skip(item.skipped)
            return
        updates = sorted(item.updates, key=lambda u: u.posted_at)
        if not updates:
            raise SourceError(item.where, "the incident has no updates")
        self.pending.append((item, updates))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        keys = SourceKey.objects.filter(
            source=self.writer.source,
            kind=TargetKind.INCIDENT,
            source_id__in=[item.source_id for item, _ in batch],
        )
        known = {key.source_id: key for key in keys.select_related("incident")}
        new = []
        for item, updates in batch:
            if item.source_id not in known:
                new.append((item, updates))
                continue
            try:
                self._update(item, target_of(known[item.source_id], Incident), updates)
            except (ValidationError, InvalidTransition) as error:
                raise SourceError(item.where, error_text(error)) from None
        if new:
            self._backfill(new)

    def _backfill(self, new: list[tuple[IncidentItem, list[UpdateItem]]]) -> None:
        try:
            written = actions.backfill_incidents([self._past(item, ups) for item, ups in new])
        except actions.PastIncidentRefused as error:
            raise SourceError(new[error.index][0].where, " ".join(error.messages)) from None
        writer, keys = self.writer, []
        for (item, updates), (incident, rows) in zip(new, written, strict=True):
            keys.append(writer.key(TargetKind.INCIDENT, item.source_id, incident))
            keys += [
                writer.key(TargetKind.INCIDENT_UPDATE, update.source_id, row)
                for update, row in zip(updates, rows, strict=True)
            ]
            writer.report.note(
                "incident", "created", f"{incident.title} ({counted(len(rows), 'update')})"
            )
        SourceKey.objects.bulk_create(keys)

    def _past(self, item: IncidentItem, updates: list[UpdateItem]) -> actions.PastIncident:
        statuses = [self.writer.statuses(update) for update in updates]
        # A component the incident lists but no update moved: as bad as the impact says.
        named = set().union(*(update.component_statuses for update in updates))
        for source_id in item.component_ids:
            if source_id not in named and (component := self.writer.component(source_id)):
                statuses[0][component] = STATUS_OF_IMPACT[item.impact]
        return actions.PastIncident(
            title=fit(item.title, 200),
            impact=item.impact,
            started_at=item.started_at,
            updates=[
                actions.PastUpdate(u.status, update_body(u), u.posted_at, given)
                for u, given in zip(updates, statuses, strict=True)
            ],
        )

    def _update(self, item: IncidentItem, before: Incident, updates: list[UpdateItem]) -> None:
        title = fit(item.title, 200)
        incident = actions.amend_incident(before, title=title, impact=item.impact)
        known = dict(
            SourceKey.objects.filter(
                source=self.writer.source,
                kind=TargetKind.INCIDENT_UPDATE,
                source_id__in=[u.source_id for u in updates],
            ).values_list("source_id", "incident_update")
        )
        rows = {row.pk: row for row in incident.updates.all()}
        amended = 0
        for update in updates:
            if update.source_id in known:
                row = rows[known[update.source_id]]
                if row.body != update_body(update):
                    actions.amend_incident_update(row, body=update_body(update))
                    amended += 1
        new = [u for u in updates if u.source_id not in known]
        for update in new:
            posted = actions.post_incident_update(
                incident,
                status=update.status,
                body=update_body(update),
                component_statuses=self.writer.statuses(update),
                posted_at=update.posted_at,
                channels=NO_CHANNELS,
            )
            self.writer.remember(TargetKind.INCIDENT_UPDATE, update.source_id, posted)
        changed = (
            new or amended or (incident.title, incident.impact) != (before.title, before.impact)
        )
        self.writer.report.note(
            "incident",
            "updated" if changed else "unchanged",
            f"{title} ({counted(len(new), 'new update')})",
        )
