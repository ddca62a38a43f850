"""The staff API promises the next update: an exact time with its offset, or minutes from now."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentUpdate

pytestmark = [pytest.mark.django_db]


def test_an_incident_opens_with_a_promise_given_as_a_time_with_its_offset(api):
    promise = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    at = promise.astimezone(timezone.get_fixed_timezone(60)).isoformat()

    response = api.call(
        "POST", "/incidents", {"name": "Webmail is slow", "body": "Looking.", "next_update_by": at}
    )

    assert response.status_code == 201, response.data
    assert IncidentUpdate.objects.get().next_update_by == promise


def test_an_update_promises_the_next_in_minutes_from_now(api):
    incident = Incident.objects.get(
        pk=int(api.call("POST", "/incidents", {"name": "Slow", "body": "x"}).data["id"][1:])
    )
    before = timezone.now()

    response = api.call(
        "POST",
        f"/incidents/i{incident.pk}/updates",
        {"status": "identified", "body": "Found it.", "next_update_in_minutes": 30},
    )

    assert response.status_code == 201, response.data
    promised = incident.updates.order_by("-id").first().next_update_by
    assert before + timedelta(minutes=30) <= promised <= timezone.now() + timedelta(minutes=30)


def test_resolving_through_updates_drops_the_promise(api):
    incident_id = api.call("POST", "/incidents", {"name": "Slow", "body": "x"}).data["id"]

    response = api.call(
        "POST",
        f"/incidents/{incident_id}/updates",
        {"status": "resolved", "body": "Fixed.", "next_update_in_minutes": 30},
    )

    assert response.status_code == 201
    assert not IncidentUpdate.objects.filter(next_update_by__isnull=False).exists()


def _soon() -> str:
    return (timezone.now() + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"next_update_in_minutes": 4}, "next_update_in_minutes", "from 5 to 1440"),
        ({"next_update_in_minutes": 1441}, "next_update_in_minutes", "from 5 to 1440"),
        ({"next_update_in_minutes": "30"}, "next_update_in_minutes", "whole number"),
        ({"next_update_in_minutes": 30.5}, "next_update_in_minutes", "whole number"),
        ({"next_update_in_minutes": True}, "next_update_in_minutes", "whole number"),
        ({"next_update_by": "2040-01-25T01:15:00"}, "next_update_by", "offset"),
        ({"next_update_by": "in an hour"}, "next_update_by", "ISO 8601"),
        ({"next_update_by": "2013-01-25T01:15:00+01:00"}, "next_update_by", "for later"),
        ({"next_update_by": "2999-01-25T01:15:00+01:00"}, "next_update_by", "within a week"),
        (
            {"next_update_by": "SOON", "next_update_in_minutes": 30},
            "next_update_in_minutes",
            "not both",
        ),
    ],
)
def test_a_bad_promise_is_a_400_that_names_its_field(api, extra, field, message):
    body = {"name": "Slow", "body": "x", **extra}
    if body.get("next_update_by") == "SOON":
        body["next_update_by"] = _soon()

    response = api.call("POST", "/incidents", body)

    assert response.status_code == 400, response.data
    assert response.data["field"] == field
    assert message in response.data["message"]
    assert not Incident.objects.exists()


def test_the_openapi_document_describes_both_ways_to_promise(client):
    document = json.loads(client.get("/api/staff/v1/openapi.json").content)
    schemas = document["components"]["schemas"]

    for name in ("NewIncident", "IncidentUpdate"):
        properties = schemas[name]["properties"]
        assert properties["next_update_by"]["format"] == "date-time"
        minutes = properties["next_update_in_minutes"]
        assert (minutes["type"], minutes["minimum"], minutes["maximum"]) == ("integer", 5, 1440)
    assert "next_update_by" not in schemas["Resolution"]["properties"]


def test_an_exact_time_keeps_its_instant_whatever_the_offset(api):
    promise = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    in_tokyo = promise.astimezone(timezone.get_fixed_timezone(9 * 60)).isoformat()

    api.call("POST", "/incidents", {"name": "Slow", "body": "x", "next_update_by": in_tokyo})

    stored = IncidentUpdate.objects.get().next_update_by
    assert isinstance(stored, datetime) and stored == promise
