"""Every act leaves an audit entry; a stale version is refused before anything is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

import actions
from actions.steps import EditConflict
from incidents.models import AuditEntry, ComponentStatus, IncidentStatus
from notifier.models import Notice
from tests.factories import make_component, open_incident

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_user("erika")


def test_an_update_records_who_and_the_incident_before_and_after(editor):
    imap = make_component("IMAP")
    incident = open_incident("IMAP logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    actions.post_incident_update(
        incident, status=IncidentStatus.IDENTIFIED, body="Found it.", author=editor
    )
    entry = AuditEntry.objects.about(incident).first()
    assert entry.action == "incident.updated"
    assert entry.actor == editor and entry.who == "erika"
    assert entry.before["status"] == "investigating"
    assert entry.after["status"] == "identified" and entry.after["update"] == "Found it."
    assert ("status", "investigating", "identified") in entry.changes()


def test_acts_of_the_periodic_task_are_the_systems(editor):
    start = timezone.now() - timedelta(minutes=5)
    window = actions.schedule_maintenance(
        title="Database upgrade",
        body="New hardware.",
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=2),
        author=editor,
        channels=[],
    )
    actions.advance_maintenance()
    entries = list(AuditEntry.objects.about(window).order_by("id"))
    assert [e.action for e in entries] == ["maintenance.scheduled", "maintenance.in_progress"]
    assert entries[0].who == "erika" and entries[1].who == "The system"


def test_a_stale_version_is_refused_and_nothing_is_written(editor):
    incident = open_incident("Webmail slow")
    seen = incident.version
    actions.post_incident_update(
        incident, status="identified", body="First.", author=editor, expected_version=seen
    )
    counts = (incident.updates.count(), Notice.objects.count(), AuditEntry.objects.count())
    with pytest.raises(EditConflict) as raised:
        actions.post_incident_update(
            incident, status="monitoring", body="Second.", author=editor, expected_version=seen
        )
    assert raised.value.current_version == seen + 1
    assert (incident.updates.count(), Notice.objects.count(), AuditEntry.objects.count()) == counts
    incident.refresh_from_db()
    assert incident.status == "identified" and incident.version == seen + 1


def test_maintenance_moves_check_the_version_too(editor):
    start = timezone.now() + timedelta(days=1)
    window = actions.schedule_maintenance(
        title="Database upgrade",
        body="New hardware.",
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=2),
        channels=[],
    )
    with pytest.raises(EditConflict):
        actions.cancel_maintenance(window, body="Not needed.", expected_version=window.version + 1)
    window.refresh_from_db()
    assert window.status == "scheduled"
    actions.cancel_maintenance(window, body="Not needed.", expected_version=window.version)
    window.refresh_from_db()
    assert window.status == "cancelled"
