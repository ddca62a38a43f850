"""Where clients compare, the v2 API says exactly what a real Statuspage page says.

Each rule here was observed on real Statuspage pages (their recorded answers are in
tests/fixtures/statuspage/, see its README) and is compared by some client.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

import actions
from incidents.api.serializers import api_time
from incidents.models import ComponentStatus, Impact
from tests.factories import make_component, open_incident, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

API = "/api/v2/"


def get(client, endpoint: str) -> dict:
    response = client.get(API + endpoint)
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.parametrize(
    ("component_status", "indicator", "statuspage_words", "our_words"),
    [
        (ComponentStatus.OPERATIONAL, "none", "All Systems Operational", "All systems operational"),
        (
            ComponentStatus.DEGRADED_PERFORMANCE,
            "minor",
            "Minor Service Outage",
            "Minor service disruption",
        ),
        (
            ComponentStatus.PARTIAL_OUTAGE,
            "major",
            "Partial System Outage",
            "Partial service outage",
        ),
        (ComponentStatus.MAJOR_OUTAGE, "critical", "Major System Outage", "Major service outage"),
        (
            ComponentStatus.UNDER_MAINTENANCE,
            "maintenance",
            "Service Under Maintenance",
            "Service under maintenance",
        ),
    ],
)
def test_status_description_is_statuspage_s_exact_string_and_our_page_keeps_its_words(
    client, component_status, indicator, statuspage_words, our_words
):
    """Statuspage sends these five descriptions, capitalised so (githubstatus.com's
    status.json says "All Systems Operational", status.atlassian.com "Minor Service
    Outage"); clients compare the strings. Our own HTML page keeps our wording."""
    make_component("IMAP", status=component_status)

    for endpoint in ("status.json", "summary.json"):
        assert get(client, endpoint)["status"] == {
            "indicator": indicator,
            "description": statuspage_words,
        }
    assert our_words in client.get("/").content.decode()


def test_maintenance_updates_name_the_components_they_put_under_maintenance_and_back(client):
    """Statuspage's maintenance updates carry affected_components like an incident's:
    code, name, old_status, new_status (null only when nothing changed)."""
    imap = make_component("IMAP")
    now = timezone.now()
    window = schedule_maintenance(start=now - timedelta(minutes=5), end=now + timedelta(hours=1))
    window.components.set([imap])
    actions.start_maintenance(window, body="Work has begun.")
    actions.complete_maintenance(window, body="Done.")

    [listed] = get(client, "scheduled-maintenances.json")["scheduled_maintenances"]
    completed, started, scheduled = listed["incident_updates"]

    assert scheduled["affected_components"] is None
    assert started["affected_components"] == [
        {
            "code": f"c{imap.pk}",
            "name": "IMAP",
            "old_status": "operational",
            "new_status": "under_maintenance",
        }
    ]
    assert completed["affected_components"] == [
        {
            "code": f"c{imap.pk}",
            "name": "IMAP",
            "old_status": "under_maintenance",
            "new_status": "operational",
        }
    ]


def test_a_scheduled_window_s_started_at_is_when_it_was_created_not_its_start(client):
    """Statuspage's scheduled maintenance has started_at = the window's creation time
    (scheduled_for holds the start), as in its recorded upcoming.json."""
    created = timezone.now() - timedelta(days=2)
    start = timezone.now() + timedelta(days=3)
    window = schedule_maintenance(start=start, end=start + timedelta(hours=2), at=created)
    window.refresh_from_db()

    [listed] = get(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]

    assert listed["started_at"] == listed["created_at"]
    assert listed["started_at"] != listed["scheduled_for"]
    assert listed["started_at"] == api_time(window.created_at)


@pytest.mark.parametrize("slash", ["", "/"])
def test_links_built_from_api_ids_redirect_to_the_page_and_unknown_ids_are_404(client, slash):
    """Statuspage serves every item at {page.url}/incidents/{id}; clients build that link
    from the API's id when shortlink is empty, so /incidents/i8 and /maintenance/m4 must lead
    to the page (301) while an id nothing has stays a 404."""
    incident = open_incident()
    now = timezone.now()
    window = schedule_maintenance(start=now + timedelta(days=1), end=now + timedelta(days=2))

    for path, target in (
        (f"/incidents/i{incident.pk}{slash}", incident.get_absolute_url()),
        (f"/incidents/m{window.pk}{slash}", window.get_absolute_url()),
        (f"/maintenance/m{window.pk}{slash}", window.get_absolute_url()),
    ):
        response = client.get(path)
        assert response.status_code == 301, path
        assert response["Location"] == target
        assert client.get(target).status_code == 200

    assert client.get(f"/incidents/i{incident.pk + 1000}{slash}").status_code == 404
    assert client.get(f"/maintenance/m{window.pk + 1000}{slash}").status_code == 404
    assert client.get(f"/incidents/x{incident.pk}{slash}").status_code == 404


def test_incident_updates_carry_deliver_notifications_custom_tweet_and_tweet_id(client):
    """Statuspage's incident updates always have deliver_notifications (true when
    subscribers were notified), custom_tweet and tweet_id (null when there is none)."""
    notified = open_incident("Told", impact=Impact.MAJOR)
    silent = actions.open_incident(title="Backfilled", body="Quietly.", channels=[])

    updates = {
        i["name"]: i["incident_updates"][0] for i in get(client, "incidents.json")["incidents"]
    }

    assert updates["Told"]["deliver_notifications"] is True
    assert updates["Backfilled"]["deliver_notifications"] is False
    for update in updates.values():
        assert update["custom_tweet"] is None
        assert update["tweet_id"] is None
    assert notified.pk != silent.pk
