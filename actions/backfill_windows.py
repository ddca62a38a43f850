"""Past maintenance windows without components, written as a batch in one act.

A WordPress import brings maintenance posts: a window scheduled, started, noted on and
completed or postponed, long ago. Replaying that through the five acts costs some 35 ms a
window; this act checks the same lifecycle and writes the rows those acts would leave (the
window, its updates, its version and calendar sequence) in a few statements. It tells
nobody, and since the windows hold no components, no live status moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from actions.maintenance import _validate_window
from actions.steps import Author, later, required_body
from actions.stock_texts import COMPLETED_TEXT, STARTED_TEXT, in_site_language
from incidents.auditing import authenticated_user, record_audit, snapshot
from incidents.models import (
    InvalidTransition,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    PublicationState,
)

FINAL_STATUSES = (MaintenanceStatus.COMPLETED, MaintenanceStatus.POSTPONED)


@dataclass(frozen=True)
class PastWindow:
    title: str
    body: str
    scheduled_start: datetime
    scheduled_end: datetime
    posted_at: datetime  # when it was announced
    # (text, time) of each update after the announcement: the start, notes, the last one
    updates: Sequence[tuple[str, datetime]]
    final_status: str = MaintenanceStatus.COMPLETED
    author: Author = None


class PastWindowRefused(ValidationError):
    """One window of a batch breaks a rule; `index` says which. Nothing was written."""

    def __init__(self, index: int, error: ValidationError):
        self.index = index
        super().__init__(error.messages)


def _replay(one: PastWindow) -> tuple[Maintenance, list[MaintenanceUpdate]]:
    if not one.title.strip():
        raise ValidationError({"title": "A maintenance window needs a title."})
    _validate_window(one.scheduled_start, one.scheduled_end)
    if one.final_status not in FINAL_STATUSES:
        raise ValidationError({"status": f"{one.final_status!r} does not end a window."})
    if len(one.updates) < 2:
        raise ValidationError({"updates": "A past window needs its start and its end."})
    window = Maintenance(
        title=one.title.strip(),
        body=one.body.strip(),
        scheduled_start=one.scheduled_start,
        scheduled_end=one.scheduled_end,
        auto_start=False,
        auto_complete=False,
        created_at=one.posted_at,
        updated_at=one.posted_at,
        status=MaintenanceStatus.SCHEDULED,
    )
    author = authenticated_user(one.author)
    rows: list[tuple[str, str, datetime]] = [(MaintenanceStatus.SCHEDULED, "", one.posted_at)]
    (start_text, start), *notes, (end_text, end) = one.updates
    rows.append(
        (MaintenanceStatus.IN_PROGRESS, start_text or in_site_language(STARTED_TEXT), start)
    )
    rows += [(MaintenanceStatus.IN_PROGRESS, required_body(text), at) for text, at in notes]
    final_text = end_text or (
        in_site_language(COMPLETED_TEXT) if one.final_status == "completed" else ""
    )
    rows.append((one.final_status, required_body(final_text), end))
    updates = []
    for status, text, at in rows:
        if status != window.status:
            window.check_transition(status)
        window.status = status
        window.updated_at = later(window.updated_at, at)
        updates.append(
            MaintenanceUpdate(
                status=status,
                body=text.strip(),
                posted_at=at,
                window_start=window.scheduled_start,
                window_end=window.scheduled_end,
                component_changes=[],
                author=author,
            )
        )
    window.started_at = start
    if one.final_status == MaintenanceStatus.COMPLETED:
        window.completed_at = end
    else:
        window.sequence = 1  # postponed: a revision calendars must apply
    window.version = len(rows) - 1  # each act after scheduling moved it on once
    return window, updates


@transaction.atomic
def backfill_windows(
    past: Sequence[PastWindow], *, actor: Author = None
) -> list[tuple[Maintenance, list[MaintenanceUpdate]]]:
    """Write past windows with their updates; returns each with its updates, in order."""
    written = []
    for index, one in enumerate(past):
        try:
            written.append(_replay(one))
        except ValidationError as error:
            raise PastWindowRefused(index, error) from None
        except InvalidTransition as error:
            raise PastWindowRefused(index, ValidationError(str(error))) from None
    windows = Maintenance.objects.bulk_create([window for window, _ in written])
    for window, (_, rows) in zip(windows, written, strict=True):
        for row in rows:
            row.maintenance = window
    MaintenanceUpdate.objects.bulk_create([row for _, rows in written for row in rows])
    for window, rows in written:
        record_audit(
            "maintenance.imported", window, actor=actor, after=snapshot(window, updates=len(rows))
        )
    if windows:
        PublicationState.bump()  # bulk writes send no signal
    return written
