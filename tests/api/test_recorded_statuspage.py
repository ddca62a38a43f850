"""Each /api/v2/ document against a real Statuspage answer (tests/fixtures/statuspage/).

Recursively: the same keys, JSON types within the recorded ones (a key that is a string
or null in theirs is a string or null in ours), and values within Statuspage's value sets.
Where we deliberately differ (README, Public API), the exception is written out below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import build_site

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

RECORDED = Path(__file__).parents[1] / "fixtures" / "statuspage"
ENDPOINTS = [
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
]
# Lists whose items are one kind wherever they appear: a component in summary.json and in
# an incident, an update of an incident and of maintenance share one profile.
SHARED_KINDS = {"components", "affected_components", "incident_updates"}

COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical", "maintenance"}
VALUE_SETS: dict[str, set[str]] = {
    "status.indicator": {"none", "minor", "major", "critical", "maintenance"},
    # The exact words clients compare.
    "status.description": {
        "All Systems Operational",
        "Minor Service Outage",
        "Partial System Outage",
        "Major System Outage",
        "Service Under Maintenance",
    },
    "components[].status": COMPONENT_STATUSES,
    "affected_components[].old_status": COMPONENT_STATUSES,
    "affected_components[].new_status": COMPONENT_STATUSES,
    "incidents[].status": INCIDENT_STATUSES,
    "incidents[].impact": IMPACTS,
    "scheduled_maintenances[].status": MAINTENANCE_STATUSES,
    # Statuspage sends "major" and the like for old windows (as recorded), "maintenance" now;
    # ours is always "maintenance" (README).
    "scheduled_maintenances[].impact": IMPACTS,
    "incident_updates[].status": INCIDENT_STATUSES | MAINTENANCE_STATUSES,
}

# Deliberate differences, each also in the README's Public API section or explained here.
# Groups list their members' ids, as Statuspage's groups do; the recording has no group.
OUR_EXTRA_PATHS = {"components[].components", "components[].components[]"}
# Newer pages add reminder_intervals to incidents (null in every recorded one, githubstatus
# 2024): staff reminders, which no reader uses and we do not send (README).
THEIR_EXTRA_KEYS = {"incidents[]": {"reminder_intervals"}}
# A second page, recorded in 2024 (see the README beside them).
MORE_RECORDINGS = ["githubstatus/incidents.json", "githubstatus/components.json"]
# Keys the recording happens to hold only one way, which Statuspage also sends the other way
# (its documentation and other real pages: monitoring_at and resolved_at are null until the
# incident gets there, start_date is a date when set, custom_tweet and tweet_id are strings
# when a tweet was sent, affected_components is a list for a maintenance update that changed
# components).
ALSO_ALLOWED: dict[str, set[str]] = {
    "incidents[].monitoring_at": {"null"},
    "incidents[].resolved_at": {"null"},
    "scheduled_maintenances[].monitoring_at": {"null"},
    "scheduled_maintenances[].resolved_at": {"null"},
    "components[].start_date": {"string"},
    "incident_updates[].custom_tweet": {"string"},
    "incident_updates[].tweet_id": {"string"},
}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", list: "array", dict: "object"}[type(value)]


class Profile:
    """For each path in a document: the JSON types, the object keys and the values seen."""

    def __init__(self) -> None:
        self.types: dict[str, set[str]] = {}
        self.keys: dict[str, set[str]] = {}
        self.values: dict[str, set[Any]] = {}

    def add(self, value: Any, path: str = "") -> Profile:
        self.types.setdefault(path, set()).add(json_type(value))
        if isinstance(value, dict):
            self.keys.setdefault(path, set()).update(value)
            for key, item in value.items():
                self.add(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for item in value:
                name = path.rsplit(".", 1)[-1]
                shared = isinstance(item, dict) and name in SHARED_KINDS
                self.add(item, f"{name}[]" if shared else f"{path}[]")
        else:
            self.values.setdefault(path, set()).add(value)
        return self


def recorded(endpoint: str) -> Any:
    return json.loads((RECORDED / endpoint).read_text())


@pytest.fixture(scope="module")
def theirs() -> Profile:
    """Every recording in one profile: an empty list in one file is filled in another."""
    profile = Profile()
    for endpoint in ENDPOINTS + MORE_RECORDINGS:
        profile.add(recorded(endpoint))
    return profile


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_our_document_has_the_recorded_statuspage_keys_types_and_values(client, theirs, endpoint):
    build_site()  # incidents open and resolved, maintenance under way and upcoming, a group
    response = client.get(f"/api/v2/{endpoint}")
    assert response.status_code == 200
    data = json.loads(response.content)
    ours = Profile().add(data)

    assert list(data) == list(recorded(endpoint))  # top-level keys, in Statuspage's order
    unknown = set(ours.types) - set(theirs.types) - OUR_EXTRA_PATHS
    assert not unknown, f"keys Statuspage does not send: {sorted(unknown)}"
    for path, types in ours.types.items():
        if path in OUR_EXTRA_PATHS:
            continue
        allowed = theirs.types[path] | ALSO_ALLOWED.get(path, set())
        assert types <= allowed, f"{path}: ours {types}, Statuspage's {allowed}"
    for path, keys in ours.keys.items():
        if not path:
            continue  # the top level differs by endpoint, compared above
        missing = theirs.keys[path] - keys - THEIR_EXTRA_KEYS.get(path, set())
        assert not missing, f"{path} lacks what Statuspage sends: {sorted(missing)}"
    for path, allowed_values in VALUE_SETS.items():
        assert theirs.values.get(path, set()) <= allowed_values, path  # the set is Statuspage's
        assert ours.values.get(path, set()) <= allowed_values, path


def test_the_comparison_sees_a_missing_key_a_new_type_and_a_foreign_value(theirs):
    """The profile comparison above can fail: it notices each kind of drift."""
    document = recorded("incidents.json")
    for update in document["incidents"][0]["incident_updates"]:
        del update["deliver_notifications"]
        update["custom_tweet"] = 3
    document["incidents"][0]["status"] = "investigating-ish"
    drifted = Profile().add(document)

    assert theirs.keys["incident_updates[]"] - drifted.keys["incident_updates[]"] == {
        "deliver_notifications"
    }
    assert drifted.types["incident_updates[].custom_tweet"] == {"integer"}
    assert not drifted.values["incidents[].status"] <= VALUE_SETS["incidents[].status"]
