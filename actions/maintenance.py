"""Scheduling maintenance and moving it through its lifecycle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from actions.reminders import KEEP, Keep, reminded_by_announcement, reminder_minutes
from actions.steps import (
    Author,
    Channels,
    ComponentStatuses,
    apply_component_statuses,
    later,
    release_components,
    required_body,
    take_version,
)
from actions.stock_texts import (
    COMPLETED_TEXT,
    RESUMED_TEXT,
    STARTED_TEXT,
    VERIFYING_TEXT,
    with_stock_text,
)
from actions.translations import Translations, audit_lines, publish_translations
from incidents.auditing import authenticated_user, record_audit, snapshot
from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    Component,
    ComponentStatus,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
    PeriodCause,
)
from incidents.models.maintenance import default_reminder_minutes
from notifier.ledger import record_notice
from notifier.models import NoticeKind


def _validate_window(start: datetime, end: datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError({"scheduled_start": "Give the window with its time zone."})
    if end <= start:
        raise ValidationError({"scheduled_end": "The window must end after it starts."})


def _record_maintenance_update(
    maintenance: Maintenance,
    status: str,
    body: str,
    posted_at: datetime,
    author: Author,
    changes: list[dict[str, object]] | None = None,
    translations: dict[str, dict[str, str]] | None = None,
) -> MaintenanceUpdate:
    return MaintenanceUpdate.objects.create(
        maintenance=maintenance,
        status=status,
        body=body.strip(),
        posted_at=posted_at,
        window_start=maintenance.scheduled_start,
        window_end=maintenance.scheduled_end,
        component_changes=changes or [],
        author=authenticated_user(author),
        translations=translations or {},
    )


def _locked(maintenance: Maintenance) -> Maintenance:
    return Maintenance.objects.select_for_update().get(pk=maintenance.pk)


def _move_maintenance(
    maintenance: Maintenance,
    status: str | None,
    *,
    body: str,
    posted_at: datetime | None,
    author: Author,
    channels: Channels = None,
    extra_fields: Mapping[str, object] | None = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    """Change the state (None keeps the current one), set component statuses, record an update
    (with its body in the other languages staff gave: {"nb": {"body": ...}})."""
    [bodies] = publish_translations(translations, MaintenanceUpdate)
    take_version(maintenance, expected_version)
    maintenance = _locked(maintenance)
    before = snapshot(maintenance)
    posted_at = posted_at or timezone.now()
    kind = NoticeKind.for_maintenance(status)
    if status is None:
        status = maintenance.status
    else:
        maintenance.check_transition(status)
    fields = {"status": status, **(extra_fields or {})}
    for name, value in fields.items():
        setattr(maintenance, name, value)
    maintenance.updated_at = later(maintenance.updated_at, posted_at)
    maintenance.save(update_fields=[*fields, "updated_at"])

    components = list(maintenance.components.all())
    statuses: ComponentStatuses
    if status in ACTIVE_MAINTENANCE_STATUSES:
        statuses = {c: ComponentStatus.UNDER_MAINTENANCE for c in components}
    else:
        holding = [c for c in components if c.status == ComponentStatus.UNDER_MAINTENANCE]
        statuses = release_components(holding, ignoring=maintenance)
    changes = apply_component_statuses(
        statuses, at=posted_at, cause=PeriodCause.MAINTENANCE, maintenance=maintenance
    )
    update = _record_maintenance_update(
        maintenance, status, body, posted_at, author, changes, bodies
    )
    record_notice(kind, channels=channels, maintenance=maintenance, maintenance_update=update)
    record_audit(
        f"maintenance.{'note' if status == before['status'] else status}",
        maintenance,
        actor=author,
        before=before,
        after={**snapshot(maintenance, update=update.body), **audit_lines(bodies)},
    )
    return update


@transaction.atomic
def schedule_maintenance(
    *,
    title: str,
    body: str,
    scheduled_start: datetime,
    scheduled_end: datetime,
    components: Iterable[Component] = (),
    posted_at: datetime | None = None,
    author: Author = None,
    auto_start: bool = True,
    auto_complete: bool = True,
    channels: Channels = None,
    remind_minutes_before: int | Keep | None = KEEP,
    translations: Translations | None = None,
) -> Maintenance:
    """Announce a window; `remind_minutes_before` defaults to MAINTENANCE_REMINDER_MINUTES.
    `translations`: the title and announcement in the other languages ({"nb": {"title": ...}})."""
    posted_at = posted_at or timezone.now()
    if isinstance(remind_minutes_before, Keep):
        # A window announced to nobody (an import, the demo data) is reminded to nobody.
        channels = None if channels is None else list(channels)
        silent = channels == []
        remind_minutes_before = None if silent else default_reminder_minutes()
    if not title.strip():
        raise ValidationError({"title": "A maintenance window needs a title."})
    _validate_window(scheduled_start, scheduled_end)
    remind = reminder_minutes(remind_minutes_before)
    [texts] = publish_translations(translations, Maintenance)
    maintenance = Maintenance.objects.create(
        title=title.strip(),
        body=body.strip(),
        translations=texts,
        scheduled_start=scheduled_start,
        scheduled_end=scheduled_end,
        auto_start=auto_start,
        auto_complete=auto_complete,
        remind_minutes_before=remind,
        reminded_for=reminded_by_announcement(scheduled_start, remind),
        created_at=posted_at,
        updated_at=posted_at,
    )
    components = list(components)
    maintenance.components.set(components)
    update = _record_maintenance_update(
        maintenance, MaintenanceStatus.SCHEDULED, "", posted_at, author
    )
    record_notice(
        NoticeKind.MAINTENANCE_SCHEDULED,
        channels=channels,
        maintenance=maintenance,
        maintenance_update=update,
    )
    record_audit(
        "maintenance.scheduled",
        maintenance,
        actor=author,
        after={
            **snapshot(maintenance, components=[c.pk for c in components]),
            **audit_lines(texts),
        },
    )
    return maintenance


@transaction.atomic
def start_maintenance(
    maintenance: Maintenance,
    *,
    body: str = "",
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    """Start the work, or take it up again after a verification found more to do."""
    posted_at = posted_at or timezone.now()
    current = _locked(maintenance)
    resumed = current.status == MaintenanceStatus.VERIFYING and current.started_at is not None
    body, translations = with_stock_text(
        body, translations, RESUMED_TEXT if resumed else STARTED_TEXT
    )
    return _move_maintenance(
        current,
        MaintenanceStatus.IN_PROGRESS,
        body=body,
        posted_at=posted_at,
        author=author,
        channels=channels,
        # Resuming keeps when the work first began.
        extra_fields={"started_at": current.started_at if resumed else posted_at},
        expected_version=expected_version,
        translations=translations,
    )


@transaction.atomic
def post_maintenance_note(
    maintenance: Maintenance,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    """A further update that keeps the current state (for example "import started")."""
    return _move_maintenance(
        maintenance,
        None,
        body=required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
        expected_version=expected_version,
        translations=translations,
    )


@transaction.atomic
def verify_maintenance(
    maintenance: Maintenance,
    *,
    body: str = "",
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    """The work is done and being checked; the components stay under maintenance."""
    body, translations = with_stock_text(body, translations, VERIFYING_TEXT)
    return _move_maintenance(
        maintenance,
        MaintenanceStatus.VERIFYING,
        body=body,
        posted_at=posted_at,
        author=author,
        channels=channels,
        expected_version=expected_version,
        translations=translations,
    )


@transaction.atomic
def complete_maintenance(
    maintenance: Maintenance,
    *,
    body: str = "",
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    posted_at = posted_at or timezone.now()
    body, translations = with_stock_text(body, translations, COMPLETED_TEXT)
    return _move_maintenance(
        maintenance,
        MaintenanceStatus.COMPLETED,
        body=body,
        posted_at=posted_at,
        author=author,
        channels=channels,
        extra_fields={"completed_at": posted_at},
        expected_version=expected_version,
        translations=translations,
    )


@transaction.atomic
def postpone_maintenance(
    maintenance: Maintenance,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    """Work started and was reverted; a new window follows with reschedule_maintenance."""
    current = _locked(maintenance)
    return _move_maintenance(
        current,
        MaintenanceStatus.POSTPONED,
        body=required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
        # Its calendar STATUS becomes TENTATIVE: a revision calendars must apply (SEQUENCE).
        extra_fields={"sequence": current.sequence + 1},
        expected_version=expected_version,
        translations=translations,
    )


@transaction.atomic
def reschedule_maintenance(
    maintenance: Maintenance,
    *,
    scheduled_start: datetime,
    scheduled_end: datetime,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    remind_minutes_before: int | Keep | None = KEEP,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    """Move to a new window; the old one stays in the history of updates. The reminder follows
    the new start (reminded_for names the old one), with a new lead if one is given."""
    _validate_window(scheduled_start, scheduled_end)
    current = _locked(maintenance)
    remind = (
        current.remind_minutes_before
        if isinstance(remind_minutes_before, Keep)
        else reminder_minutes(remind_minutes_before)
    )
    return _move_maintenance(
        current,
        MaintenanceStatus.RESCHEDULED,
        body=required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
        extra_fields={
            "scheduled_start": scheduled_start,
            "scheduled_end": scheduled_end,
            "started_at": None,
            "sequence": current.sequence + 1,
            "remind_minutes_before": remind,
            "reminded_for": reminded_by_announcement(scheduled_start, remind, current.reminded_for),
        },
        expected_version=expected_version,
        translations=translations,
    )


@transaction.atomic
def cancel_maintenance(
    maintenance: Maintenance,
    *,
    body: str,
    posted_at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> MaintenanceUpdate:
    current = _locked(maintenance)
    return _move_maintenance(
        current,
        MaintenanceStatus.CANCELLED,
        body=required_body(body),
        posted_at=posted_at,
        author=author,
        channels=channels,
        # A cancellation is a revision calendars must apply (iCalendar SEQUENCE).
        extra_fields={"sequence": current.sequence + 1},
        expected_version=expected_version,
        translations=translations,
    )
