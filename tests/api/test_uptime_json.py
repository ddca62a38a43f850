"""/api/v2/components/<id>/uptime.json: its shape, its range and its errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import timefmt
from tests.factories import DAY_SECONDS, make_component, make_uptime_day

pytestmark = pytest.mark.django_db

STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}


def today():
    return timefmt.in_zone(timezone.now()).date()


@pytest.fixture
def imap():
    component = make_component("IMAP")
    make_uptime_day(
        component,
        today() - timedelta(days=1),
        partial_outage_seconds=DAY_SECONDS // 2,
        under_maintenance_seconds=DAY_SECONDS // 4,
        incident_ids=[7],
    )
    make_uptime_day(component, today())
    return component


def test_it_gives_ninety_days_by_default_oldest_first(client, imap):
    data = client.get(f"/api/v2/components/{imap.pk}/uptime.json").json()

    assert data["component"] == {"id": f"c{imap.pk}", "name": "IMAP"}
    assert len(data["days"]) == 90
    assert data["days"][-1]["date"] == today().isoformat()
    assert data["from"] == (today() - timedelta(days=89)).isoformat()
    assert data["time_zone"] == "Europe/Oslo"


def test_each_day_has_its_uptime_seconds_per_status_and_incidents(client, imap):
    data = client.get(f"/api/v2/components/{imap.pk}/uptime.json?days=3").json()

    no_data, bad, good = data["days"]
    assert no_data == {
        "date": (today() - timedelta(days=2)).isoformat(),
        "uptime": None,
        "worst_status": "no_data",
        "observed_seconds": 0,
        "seconds": dict.fromkeys(STATUSES, 0),
        "incident_ids": [],
    }
    # Maintenance is left out: 1 - 0.3 * 43200 / (86400 - 21600)
    assert bad["uptime"] == pytest.approx(0.8)
    assert bad["worst_status"] == "partial_outage"
    assert bad["seconds"] == {
        "operational": 21600,
        "degraded_performance": 0,
        "partial_outage": 43200,
        "major_outage": 0,
        "under_maintenance": 21600,
    }
    assert bad["incident_ids"] == ["i7"]
    assert good["uptime"] == 1.0


def test_the_totals_and_the_weights_used_are_given(client, imap, settings):
    settings.UPTIME_WEIGHT_DEGRADED_PERFORMANCE = 0.1

    data = client.get(f"/api/v2/components/{imap.pk}/uptime.json?days=3").json()

    assert data["totals"]["uptime"] == pytest.approx(1 - 12960 / (2 * DAY_SECONDS - 21600))
    assert data["totals"]["observed_seconds"] == 2 * DAY_SECONDS
    assert data["totals"]["days_with_data"] == 2
    assert data["totals"]["seconds"]["partial_outage"] == 43200
    assert data["weights"] == {
        "major_outage": 1.0,
        "partial_outage": 0.3,
        "degraded_performance": 0.1,
        "under_maintenance": None,
    }


@pytest.mark.parametrize("days", ["1", "365"])
def test_the_range_goes_from_one_day_to_a_year(client, imap, days):
    data = client.get(f"/api/v2/components/{imap.pk}/uptime.json?days={days}").json()

    assert len(data["days"]) == int(days)


@pytest.mark.parametrize("days", ["0", "366", "-1", "abc", "1.5", "", "9999", "٣"])
def test_a_bad_range_is_a_clear_400_in_json(client, imap, days):
    response = client.get(f"/api/v2/components/{imap.pk}/uptime.json", {"days": days})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "invalid",
        "message": "days must be a whole number from 1 to 365.",
        "field": "days",
    }


def test_unknown_parameters_are_ignored(client, imap):
    plain = client.get(f"/api/v2/components/{imap.pk}/uptime.json?days=5")
    tagged = client.get(f"/api/v2/components/{imap.pk}/uptime.json?days=5&utm_source=x&_=1")

    assert tagged.status_code == 200
    assert tagged.content == plain.content


def test_an_unknown_component_is_a_404_in_json(client):
    response = client.get("/api/v2/components/999/uptime.json")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_the_api_id_of_a_component_leads_to_its_document(client, imap):
    response = client.get(f"/api/v2/components/c{imap.pk}/uptime.json?days=7")

    assert response.status_code == 301
    assert response["Location"] == f"/api/v2/components/{imap.pk}/uptime.json?days=7"


def test_it_is_open_to_any_origin_and_read_only(client, imap):
    url = f"/api/v2/components/{imap.pk}/uptime.json"

    assert client.get(url)["Access-Control-Allow-Origin"] == "*"
    assert client.post(url).status_code == 405
