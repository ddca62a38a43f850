"""The staff API: monitors open, update and resolve incidents and move maintenance, with a token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

import actions
from incidents.models import (
    ApiToken,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    Scope,
)
from tests.api.conftest import STAFF, StaffApi
from tests.factories import make_component, open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def test_a_monitor_opens_an_incident_that_readers_see_at_once(api, client, author):
    imap = make_component("IMAP")

    response = api.call(
        "POST",
        "/incidents",
        {
            "name": "IMAP logins fail",
            "body": "We are investigating failed IMAP logins.",
            "impact": "major",
            "components": {f"c{imap.pk}": "major_outage"},
        },
    )

    assert response.status_code == 201, response.data
    incident = Incident.objects.get()
    assert response.data["id"] == f"i{incident.pk}"
    assert response.data["status"] == "investigating"
    assert response.data["components"][0]["status"] == "major_outage"
    assert incident.updates.get().author == author
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.MAJOR_OUTAGE
    public = json.loads(client.get("/api/v2/incidents/unresolved.json").content)
    assert public["incidents"] == [without_languages(response.data)]
    assert response.data["language"] == "en" and response.data["translations"] == {}


def without_languages(incident: dict) -> dict:
    """The staff API's answer less what it adds to the v2 shape: each row's languages."""
    drop = ("language", "translations")
    updates = [
        {key: value for key, value in update.items() if key not in drop}
        for update in incident["incident_updates"]
    ]
    kept = {key: value for key, value in incident.items() if key not in drop}
    return {**kept, "incident_updates": updates}


def test_updates_and_resolution_go_through_the_actions(api, monkeypatch):
    calls = []
    from actions import incidents as incident_actions

    for name in ("open_incident", "post_incident_update", "resolve_incident"):
        real = getattr(actions, name)
        spy = lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)  # noqa: E731
        # The package's name for callers, and the module's own for calls between actions.
        monkeypatch.setattr(actions, name, spy)
        monkeypatch.setattr(incident_actions, name, spy)
    imap = make_component("IMAP")

    created = api.call("POST", "/incidents", {"name": "Slow", "body": "Looking."}).data
    updated = api.call(
        "POST",
        f"/incidents/{created['id']}/updates",
        {
            "status": "identified",
            "body": "A disk is failing.",
            "components": {f"c{imap.pk}": "degraded_performance"},
            "display_at": "2013-01-25T00:45:00+01:00",
        },
    )
    resolved = api.call("POST", f"/incidents/{created['id']}/resolve", {"body": "Replaced."})

    # resolve_incident posts its update through post_incident_update
    assert calls == [
        "open_incident",
        "post_incident_update",
        "resolve_incident",
        "post_incident_update",
    ]
    assert updated.status_code == 201
    (identified,) = [u for u in updated.data["incident_updates"] if u["status"] == "identified"]
    assert identified["display_at"] == "2013-01-25T00:45:00.000+01:00"
    assert resolved.status_code == 200
    assert resolved.data["status"] == "resolved"
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.OPERATIONAL


def test_resolving_twice_is_a_conflict_that_names_the_status(api):
    incident = open_incident()
    api.call("POST", f"/incidents/i{incident.pk}/resolve", {"body": "Fixed."})

    response = api.call(
        "POST", f"/incidents/i{incident.pk}/updates", {"status": "resolved", "body": "Again."}
    )
    postmortem = api.call(
        "POST", f"/incidents/i{incident.pk}/updates", {"status": "postmortem", "body": "Why."}
    )
    reopened = api.call(
        "POST", f"/incidents/i{incident.pk}/updates", {"status": "investigating", "body": "Back."}
    )

    assert response.status_code == 200 or response.status_code == 201  # same status: allowed
    assert postmortem.status_code == 201
    assert reopened.status_code == 409
    assert reopened.data["field"] == "status"
    assert "cannot become investigating" in reopened.data["message"]


def test_a_component_status_is_set_and_read_back(api):
    imap = make_component("IMAP")

    response = api.call("PATCH", f"/components/c{imap.pk}", {"status": "partial_outage"})
    listed = api.call("GET", "/components")

    assert response.status_code == 200
    assert response.data["status"] == "partial_outage"
    assert Component.objects.get().status == ComponentStatus.PARTIAL_OUTAGE
    assert listed.data == [response.data]


def test_maintenance_is_scheduled_started_noted_verified_and_completed(api):
    imap = make_component("IMAP")

    created = api.call(
        "POST",
        "/scheduled-maintenances",
        {
            "name": "Database replacement",
            "body": "New database servers.",
            "scheduled_for": "2040-12-20T06:30:00+01:00",
            "scheduled_until": "2040-12-20T08:30:00+01:00",
            "components": [f"c{imap.pk}"],
            "auto_start": False,
        },
    )
    path = f"/scheduled-maintenances/{created.data['id']}"
    started = api.call("POST", f"{path}/start", {})
    noted = api.call("POST", f"{path}/updates", {"body": "Import started."})
    verifying = api.call("POST", f"{path}/verify", {"body": "Checking the new servers."})
    imap.refresh_from_db()
    under_maintenance = imap.status
    completed = api.call("POST", f"{path}/complete", {"body": "Done."})

    assert created.status_code == 201
    assert created.data["scheduled_for"] == "2040-12-20T06:30:00.000+01:00"
    assert created.data["lifecycle_status"] == "scheduled"
    assert Maintenance.objects.get().auto_start is False
    assert started.data["status"] == "in_progress"
    assert noted.data["incident_updates"][0]["body"] == "Import started."
    assert verifying.status_code == 200
    assert (verifying.data["status"], verifying.data["lifecycle_status"]) == ("verifying",) * 2
    assert verifying.data["incident_updates"][0]["body"] == "Checking the new servers."
    assert under_maintenance == ComponentStatus.UNDER_MAINTENANCE
    assert completed.data["status"] == "completed"
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.OPERATIONAL


def test_maintenance_is_postponed_rescheduled_and_cancelled(api):
    maintenance = schedule_maintenance(
        start=oslo(2040, 12, 12, 6, 30), end=oslo(2040, 12, 12, 8, 30)
    )
    path = f"/scheduled-maintenances/m{maintenance.pk}"
    api.call("POST", f"{path}/start", {"body": "Stopping services."})

    postponed = api.call("POST", f"{path}/postpone", {"body": "Reverted."})
    rescheduled = api.call(
        "POST",
        f"{path}/reschedule",
        {
            "scheduled_for": "2040-12-20T05:30:00Z",
            "scheduled_until": "2040-12-20T07:30:00Z",
            "body": "Moved to Thursday.",
        },
    )
    cancelled = api.call("POST", f"{path}/cancel", {"body": "Not needed."})

    assert postponed.data["lifecycle_status"] == "postponed"
    assert postponed.data["status"] == "scheduled"
    assert postponed.data["sequence"] == 1  # the calendar's revisions (RFC 5545 SEQUENCE)
    assert rescheduled.data["sequence"] == 2
    assert rescheduled.data["scheduled_for"] == "2040-12-20T06:30:00.000+01:00"
    assert cancelled.data["lifecycle_status"] == "cancelled"
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.CANCELLED


def test_reading_needs_the_read_scope_and_writing_its_own(client):
    make_component("IMAP")
    incident = open_incident()
    _, reader = ApiToken.issue("Dashboard", [Scope.READ])
    _, opener = ApiToken.issue("Nagios", [Scope.INCIDENTS])
    api = StaffApi(client, reader)

    assert api.call("GET", f"/incidents/i{incident.pk}").status_code == 200
    refused = api.call("POST", "/incidents", {"name": "x", "body": "y"})
    assert refused.status_code == 403
    assert refused.data == {
        "error": "forbidden",
        "message": "This token lacks the 'incidents' scope.",
        "field": None,
    }
    assert api.call("GET", "/components", token=opener).status_code == 403
    assert (
        api.call("POST", "/incidents", {"name": "x", "body": "y"}, token=opener).status_code == 201
    )


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer sp_0000_wrong", "Token abc"],
)
def test_a_missing_or_wrong_token_is_401_with_a_challenge(client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get(f"{STAFF}/token", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(response.content)["error"] == "unauthorized"


def test_a_revoked_token_is_refused(api):
    ApiToken.objects.get().revoke()

    assert api.call("GET", "/token").status_code == 401


def test_a_genuine_token_refused_leaves_its_last_refusal_for_staff(api, client):
    _, reader = ApiToken.issue("Dashboard", [Scope.READ])
    assert StaffApi(client, reader).call("POST", "/incidents", {"name": "x"}).status_code == 403
    lacking = ApiToken.objects.get(name="Dashboard")
    assert lacking.last_refused_at is not None
    assert lacking.last_refusal == "POST /api/staff/v1/incidents: lacks the 'incidents' scope."

    ApiToken.objects.get(name="Monitoring").revoke()
    assert api.call("GET", "/token").status_code == 401
    assert ApiToken.objects.get(name="Monitoring").last_refusal == "Used while disabled."


def test_the_token_says_who_it_is_and_when_it_was_last_used(api):
    response = api.call("GET", "/token")

    assert response.status_code == 200
    assert response.data["name"] == "Monitoring"
    assert response.data["scopes"] == sorted(Scope.values)
    assert response.data["last_used_at"] is not None
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/i999999",
        "/incidents/999",
        "/incidents/m1",
        "/incidents/i99999999999999999999999",
        "/scheduled-maintenances/m424242",
    ],
)
def test_an_unknown_id_is_404(api, path):
    response = api.call("GET", path)

    assert response.status_code == 404
    assert response.data["error"] == "not_found"


def test_an_unknown_endpoint_and_a_wrong_method_answer_in_json(api):
    unknown = api.call("GET", "/nothing/here")
    wrong = api.call("DELETE", "/incidents")

    assert unknown.status_code == 404
    assert unknown.data["error"] == "not_found"
    assert wrong.status_code == 405
    assert wrong["Allow"] == "POST"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"body": "Looking."}, "name", "This field is required."),
        ({"name": "Slow"}, "body", "This field is required."),
        ({"name": "Slow", "body": "x", "stauts": "identified"}, "stauts", "Unknown field"),
        ({"name": "Slow", "body": "x", "impact": "huge"}, "impact", "Use one of"),
        ({"name": "Slow", "body": "x", "status": "resolved"}, "status", "Use one of"),
        ({"name": "x" * 201, "body": "x"}, "name", "At most 200"),
        ({"name": "   ", "body": "x"}, "name", "needs a title"),
        ({"name": "Slow", "body": "   "}, "body", "cannot be empty"),
        ({"name": "Slow\x00", "body": "x"}, "name", "NUL"),
        (
            {"name": "Slow", "body": "x", "components": {"c999": "major_outage"}},
            "components.c999",
            "no such component",
        ),
        (
            {"name": "Slow", "body": "x", "components": {"imap": "major_outage"}},
            "components.imap",
            "Keys look like",
        ),
        ({"name": "Slow", "body": "x", "components": ["c1"]}, "components", "Give an object"),
        (
            {"name": "Slow", "body": "From {{time 2012-12-32 06:30 CET}}"},
            "body",
            "{{time 2012-12-32 06:30 CET}}: 2012-12-32 is not a date.",
        ),
        ({"name": "Slow", "body": "x", "display_at": "yesterday"}, "display_at", "ISO 8601"),
        (
            {"name": "Slow", "body": "x", "display_at": "2013-01-25T00:45:00"},
            "display_at",
            "offset",
        ),
        (
            {"name": "Slow", "body": "x", "display_at": "0001-01-01T00:00:00+01:00"},
            "display_at",
            "between",
        ),
        (
            {
                "name": "Slow",
                "body": "x",
                "started_at": "2013-01-25T01:00:00+01:00",
                "display_at": "2013-01-25T00:45:00+01:00",
            },
            "started_at",
            "cannot start after",
        ),
        (["name", "body"], None, "JSON object"),
    ],
)
def test_bad_input_is_a_400_that_names_the_field(api, body, field, message):
    make_component("IMAP")

    response = api.call("POST", "/incidents", body)

    assert response.status_code == 400, response.data
    assert response.data["error"] == "invalid"
    assert response.data["field"] == field
    assert message.lower() in response.data["message"].lower()
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{", b"\xff\xfe", b'{"name": "\\ud800", "body": "x"}', b"[" * 100_000, b"null", b"42"],
)
def test_a_body_that_is_not_a_usable_json_object_is_a_400(api, raw):
    response = api.client.post(
        f"{STAFF}/incidents",
        raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "invalid"


def test_a_window_that_ends_before_it_starts_names_its_end(api):
    response = api.call(
        "POST",
        "/scheduled-maintenances",
        {
            "name": "Backwards",
            "scheduled_for": "2040-12-20T08:30:00+01:00",
            "scheduled_until": "2040-12-20T06:30:00+01:00",
        },
    )

    assert response.status_code == 400
    assert response.data["field"] == "scheduled_until"


def test_completing_a_window_that_has_not_started_is_a_conflict(api):
    maintenance = schedule_maintenance(start=oslo(2040, 1, 1, 6), end=oslo(2040, 1, 1, 7))

    response = api.call("POST", f"/scheduled-maintenances/m{maintenance.pk}/complete", {})

    assert response.status_code == 409
    assert response.data["field"] == "status"


def test_verifying_a_window_that_has_not_started_is_a_conflict(api):
    maintenance = schedule_maintenance(start=oslo(2040, 1, 1, 6), end=oslo(2040, 1, 1, 7))

    response = api.call("POST", f"/scheduled-maintenances/m{maintenance.pk}/verify", {})

    assert response.status_code == 409
    assert "cannot become verifying" in response.data["message"]
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED


def test_csrf_does_not_block_token_calls(author):
    _, secret = ApiToken.issue("Nagios", [Scope.INCIDENTS], created_by=author)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        f"{STAFF}/incidents",
        json.dumps({"name": "Slow", "body": "Looking."}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    assert response.status_code == 201


def test_status_after_resolution_returns_components_unless_told(api):
    imap = make_component("IMAP")
    smtp = make_component("SMTP")
    incident = open_incident(
        components={imap: ComponentStatus.MAJOR_OUTAGE, smtp: ComponentStatus.PARTIAL_OUTAGE}
    )

    api.call(
        "POST",
        f"/incidents/i{incident.pk}/updates",
        {
            "status": IncidentStatus.RESOLVED,
            "body": "IMAP is back; SMTP stays degraded for now.",
            "components": {f"c{smtp.pk}": "degraded_performance"},
        },
    )

    imap.refresh_from_db()
    smtp.refresh_from_db()
    assert imap.status == ComponentStatus.OPERATIONAL
    assert smtp.status == ComponentStatus.DEGRADED_PERFORMANCE


def test_the_audit_log_names_the_token_behind_each_write(api, author):
    from incidents.models import AuditEntry

    imap = make_component("IMAP")
    api.call("PATCH", f"/components/c{imap.pk}", {"status": "partial_outage"})
    entry = AuditEntry.objects.get(action="component.status")
    assert entry.actor == author
    assert entry.actor_name == "ops (API token Monitoring)"
    assert entry.before["status"] == "operational" and entry.after["status"] == "partial_outage"


def test_a_deactivated_authors_token_is_refused_and_acts_for_nobody(api, author):
    author.is_active = False  # as the admin, the console or a shell would
    author.save()

    response = api.call("POST", "/incidents", {"name": "IMAP down", "body": "Looking."})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "deactivated" in response.data["message"]
    assert not Incident.objects.exists()
    assert api.call("GET", "/components").status_code == 401
    token = ApiToken.objects.get()
    assert token.last_refusal == "Used while its author's account is deactivated."

    author.is_active = True
    author.save()
    assert api.call("GET", "/components").status_code == 200


def test_an_update_dated_before_the_components_last_change_is_refused_and_writes_nothing(api):
    imap = make_component("IMAP")
    incident = open_incident(components={imap: ComponentStatus.MAJOR_OUTAGE})
    response = api.call(
        "POST",
        f"/incidents/i{incident.pk}/updates",
        {
            "status": "identified",
            "body": "Found it.",
            "components": {f"c{imap.pk}": "partial_outage"},
            "display_at": "2013-01-25T00:45:00+01:00",
        },
    )
    assert response.status_code == 400, response.data
    assert response.data["field"] == "display_at"
    assert "time order" in response.data["message"]
    assert incident.updates.count() == 1
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.MAJOR_OUTAGE
