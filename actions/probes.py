"""Probes: saved and deleted by admins; a failing one may set its component's status itself.

A status the probe sets is audited as done by the probe (no person), and records its
`component.updated` notice for the static mirror only: webhook endpoints belong to readers'
machines, and nothing reaches a reader without a person. The mirror copies the public page,
which shows the status at once, so it must not lag behind it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from actions.incidents import open_incident
from actions.steps import Author, apply_component_statuses, validate_component_statuses
from incidents import timefmt
from incidents.auditing import acting_via, record_audit, snapshot
from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    AuditEntry,
    Component,
    Incident,
    IncidentComponent,
    Maintenance,
    PeriodCause,
    Probe,
    ProbeAlert,
    StatusPeriod,
)
from notifier.ledger import record_notice
from notifier.mirror.targets import configured_targets
from notifier.models import NoticeKind

STATUS_ACTION = "component.status"


@transaction.atomic
def save_probe(probe: Probe, *, author: Author = None) -> Probe:
    """Create or edit a probe (validated by its form), with its audit entry."""
    before = None
    if probe.pk is not None:
        before = snapshot(Probe.objects.select_for_update().get(pk=probe.pk))
    probe.full_clean()
    probe.save()
    action = "probe.created" if before is None else "probe.edited"
    record_audit(action, probe, actor=author, before=before, after=snapshot(probe))
    return probe


@transaction.atomic
def set_probe_enabled(probe: Probe, enabled: bool, *, author: Author = None) -> Probe:
    probe = Probe.objects.select_for_update().get(pk=probe.pk)
    before = snapshot(probe)
    probe.enabled = enabled
    probe.save(update_fields=["enabled", "updated_at"])
    action = "probe.enabled" if enabled else "probe.disabled"
    record_audit(action, probe, actor=author, before=before, after=snapshot(probe))
    return probe


@transaction.atomic
def delete_probe(probe: Probe, *, author: Author = None) -> None:
    """Delete a probe with its results and alerts (an incident opened from one stays)."""
    probe = Probe.objects.select_for_update().get(pk=probe.pk)
    record_audit("probe.deleted", probe, actor=author, before=snapshot(probe))
    probe.delete()


@transaction.atomic
def open_incident_from_alert(alert_id: int | None, **incident_fields: Any) -> Incident:
    """Open an incident (as open_incident does) and link the alert it was opened from,
    unless the alert is gone or already has its incident."""
    incident = open_incident(**incident_fields)
    if alert_id is not None:
        ProbeAlert.objects.filter(pk=alert_id, incident__isnull=True).update(incident=incident)
    return incident


def probe_actor(probe: Probe) -> str:
    """How the audit log names a probe's acts: no person did them."""
    return f"probe “{probe.name}”"


def held_by_a_person(component: Component) -> bool:
    """Whether an open incident or active maintenance holds the component: staff are on it."""
    incidents = IncidentComponent.objects.filter(
        component=component, incident__status__in=OPEN_INCIDENT_STATUSES
    )
    windows = Maintenance.objects.filter(
        components=component, status__in=ACTIVE_MAINTENANCE_STATUSES
    )
    return incidents.exists() or windows.exists()


@transaction.atomic
def set_status_by_probe(
    component: Component,
    status: str,
    *,
    probe: Probe,
    at: datetime | None = None,
    alert: ProbeAlert | None = None,
) -> bool:
    """A probe sets the component's status (failing, or back on recovery); whether it changed.

    Recorded as caused by the probe, in the audit log as the probe's act (no person). `at` is
    when the probe noticed; if the status changed after that, the probe's change counts from
    then (never refused).
    """
    validate_component_statuses({component: status})
    component.refresh_from_db()
    before = snapshot(component)
    at = at or timezone.now()
    last = StatusPeriod.objects.last_change([component])
    at = at if last is None else max(at, last)
    changes = apply_component_statuses(
        {component: status},
        at=at,
        cause=PeriodCause.PROBE,
        probe=probe,
    )
    if not changes:
        return False
    component.refresh_from_db()
    with acting_via(probe_actor(probe)):
        record_audit(
            STATUS_ACTION,
            component,
            actor=None,
            before=before,
            # The alert is named so recovery can find the change to undo (set_back_after_alert).
            after=snapshot(
                component,
                probe=probe.name,
                probe_alert=alert.pk if alert else None,
                changed_at=at.isoformat(),
            ),
        )
    record_notice(
        NoticeKind.COMPONENT_UPDATED,
        channels=[target.name for target in configured_targets()],
        component=component,
        status_change=(before["status"], component.status),
    )
    return True


@transaction.atomic
def set_status_for_alert(alert: ProbeAlert) -> bool:
    """Set the component's status the probe asks for on failure; True when it was set.

    Not when a person already holds the component with an incident or maintenance: their
    status stands, and recovery must not undo it.
    """
    probe = alert.probe
    component = Component.objects.select_for_update().get(pk=probe.component_id)
    if not probe.sets_component_status or held_by_a_person(component):
        return False
    if not set_status_by_probe(component, probe.status_on_failure, probe=probe, alert=alert):
        return False  # already in that status: nothing to set back later either
    ProbeAlert.objects.filter(pk=alert.pk).update(set_status=True)
    alert.set_status = True
    return True


@transaction.atomic
def set_back_after_alert(alert: ProbeAlert) -> bool:
    """On recovery, put back the status the alert replaced, unless a person changed it since.

    A person's change wins: a later status set (even to the same value), an open incident
    or maintenance naming the component, or any other status than the one the probe set.
    """
    component = Component.objects.select_for_update().get(pk=alert.probe.component_id)
    changes = AuditEntry.objects.about(component).filter(action=STATUS_ACTION)
    ours = changes.filter(after__probe_alert=alert.pk).order_by("at", "id").first()
    if ours is None or ours.before is None or ours.after is None:
        return False
    if changes.filter(pk__gt=ours.pk).exists() or component.status != ours.after["status"]:
        return False
    if held_by_a_person(component):
        return False
    return set_status_by_probe(component, ours.before["status"], probe=alert.probe, alert=alert)


CERTIFICATE_WARNING = "probe.certificate_warning"


@transaction.atomic
def claim_certificate_warning(probe: Probe, expires_at: datetime) -> AuditEntry | None:
    """Record that staff are warned about this probe's certificate (known by its expiry);
    None when they were already: one warning per probe per certificate."""
    probe = Probe.objects.select_for_update().get(pk=probe.pk)
    stamp = timefmt.iso_utc(expires_at.replace(microsecond=0))
    warned = AuditEntry.objects.about(probe).filter(action=CERTIFICATE_WARNING)
    if warned.filter(after__cert_expires_at=stamp).exists():
        return None
    with acting_via(probe_actor(probe)):
        return record_audit(
            CERTIFICATE_WARNING, probe, actor=None, after={"cert_expires_at": stamp}
        )


def release_certificate_warning(entry: AuditEntry) -> None:
    """The warning could not be sent: forget it, so the next tick tries again."""
    AuditEntry.objects.filter(pk=entry.pk, action=CERTIFICATE_WARNING).delete()
