"""Edits in the Django admin bypass the actions, so the audit log is their trace."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import AuditEntry, Component, Incident
from tests.factories import make_component, open_incident

pytestmark = pytest.mark.django_db


def test_an_admin_edit_is_audited_and_moves_the_version(admin_client, admin_user):
    incident = open_incident("Webmail slow")
    version = incident.version
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "title": "Webmail slow for some users",
            "started_at_0": incident.started_at.strftime("%Y-%m-%d"),
            "started_at_1": incident.started_at.strftime("%H:%M:%S"),
            "updated_at_0": incident.updated_at.strftime("%Y-%m-%d"),
            "updated_at_1": incident.updated_at.strftime("%H:%M:%S"),
            "monitoring_at_0": "",
            "monitoring_at_1": "",
            "resolved_at_0": "",
            "resolved_at_1": "",
            "affected-TOTAL_FORMS": "0",
            "affected-INITIAL_FORMS": "0",
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident.refresh_from_db()
    assert incident.title == "Webmail slow for some users"
    assert incident.version == version + 1
    entry = AuditEntry.objects.about(incident).first()
    assert entry.action == "incident.admin_changed" and entry.actor == admin_user
    assert ("title", "Webmail slow", "Webmail slow for some users") in entry.changes()


def test_an_admin_delete_is_audited(admin_client):
    component = make_component("Old FTP")
    response = admin_client.post(
        reverse("admin:incidents_component_delete", args=[component.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Component.objects.exists()
    entry = AuditEntry.objects.get(action="component.admin_deleted")
    assert entry.before["name"] == "Old FTP"
    assert not Incident.objects.exists()
