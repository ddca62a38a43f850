"""The public API speaks Statuspage v2: exact shape, zone offsets, caching, CORS, status mapping."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import jsonschema
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import actions
from incidents.models import (
    ComponentStatus,
    Impact,
    IncidentStatus,
    Maintenance,
    PublicationState,
)
from tests.api.v2_schemas import ENDPOINTS, KEY_ORDER
from tests.factories import (
    OSLO,
    build_site,
    make_component,
    make_group,
    open_incident,
    oslo,
    schedule_maintenance,
    utc,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

API = "/api/v2/"


def get(client, endpoint: str, **headers: str):
    response = client.get(API + endpoint, **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def assert_shape(client, endpoint: str) -> dict:
    data = get(client, endpoint)
    jsonschema.validate(data, ENDPOINTS[endpoint], format_checker=jsonschema.FormatChecker())
    assert list(data) == KEY_ORDER[endpoint]
    return data


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_endpoint_has_statuspage_s_shape_on_an_empty_site(client, endpoint):
    data = assert_shape(client, endpoint)

    assert data["page"]["name"] == "Runbox Status"
    assert data["page"]["time_zone"] == "Europe/Oslo"


def test_every_endpoint_has_statuspage_s_shape_with_the_demo_data(client):
    call_command("load_demo", verbosity=0)  # once: it is the slow part

    for endpoint in ENDPOINTS:
        assert_shape(client, endpoint)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_endpoint_has_statuspage_s_shape_with_work_under_way(client, endpoint):
    build_site()  # an open incident, maintenance in progress and one upcoming

    data = assert_shape(client, endpoint)

    assert any(data.get(key) for key in data if key != "page")


def test_the_demo_lists_everything_that_happened(client):
    call_command("load_demo", verbosity=0)

    assert len(get(client, "incidents.json")["incidents"]) == 7
    assert len(get(client, "scheduled-maintenances.json")["scheduled_maintenances"]) == 3
    assert get(client, "status.json")["status"] == {
        "indicator": "none",
        "description": "All Systems Operational",
    }


def test_times_carry_the_offset_of_the_site_zone_winter_and_summer(client):
    open_incident("Winter", at=oslo(2013, 1, 25, 0, 45))
    open_incident("Summer", at=oslo(2014, 4, 8, 10, 0))

    incidents = {i["name"]: i for i in get(client, "incidents.json")["incidents"]}

    assert incidents["Winter"]["started_at"] == "2013-01-25T00:45:00.000+01:00"
    assert incidents["Summer"]["started_at"] == "2014-04-08T10:00:00.000+02:00"
    update = incidents["Winter"]["incident_updates"][0]
    assert update["display_at"] == "2013-01-25T00:45:00.000+01:00"


def test_groups_are_components_that_list_their_members(client):
    mail = make_group("Mail", position=1)
    imap = make_component("IMAP", group=mail, position=2)
    smtp = make_component("SMTP", group=mail, position=1, status=ComponentStatus.PARTIAL_OUTAGE)
    website = make_component("Website", description="www.runbox.com")

    components = get(client, "components.json")["components"]

    assert [c["name"] for c in components] == ["Website", "Mail", "SMTP", "IMAP"]
    assert [c["position"] for c in components] == [1, 2, 3, 4]
    group = components[1]
    assert group["group"] is True
    assert group["components"] == [f"c{smtp.pk}", f"c{imap.pk}"]
    assert group["status"] == "partial_outage"  # the worst of its members
    assert components[2]["group_id"] == group["id"] == f"g{mail.pk}"
    assert components[0] | {"created_at": None, "updated_at": None} == {
        "id": f"c{website.pk}",
        "name": "Website",
        "status": "operational",
        "created_at": None,
        "updated_at": None,
        "position": 1,
        "description": "www.runbox.com",
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": components[0]["page_id"],
        "group": False,
        "only_show_if_degraded": False,
    }


def test_an_incident_lists_its_updates_newest_first_with_the_component_changes(client):
    imap = make_component("IMAP")
    incident = open_incident(
        "IMAP logins fail",
        impact=Impact.MAJOR,
        components={imap: ComponentStatus.MAJOR_OUTAGE},
        at=oslo(2013, 1, 25, 0, 15),
    )
    actions.resolve_incident(incident, body="Fixed.", posted_at=oslo(2013, 1, 25, 0, 45))

    (data,) = get(client, "incidents.json")["incidents"]

    assert data["id"] == f"i{incident.pk}"
    assert data["status"] == "resolved"
    assert data["impact"] == "major"
    assert data["resolved_at"] == "2013-01-25T00:45:00.000+01:00"
    assert data["shortlink"] == f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    assert [u["status"] for u in data["incident_updates"]] == ["resolved", "investigating"]
    assert data["incident_updates"][0]["affected_components"] == [
        {
            "code": f"c{imap.pk}",
            "name": "IMAP",
            "old_status": "major_outage",
            "new_status": "operational",
        }
    ]
    assert [c["name"] for c in data["components"]] == ["IMAP"]


def test_unresolved_and_summary_hold_only_open_incidents(client):
    site = build_site()

    unresolved = get(client, "incidents/unresolved.json")["incidents"]
    summary = get(client, "summary.json")

    assert [i["id"] for i in unresolved] == [f"i{site.active.pk}"]
    assert [i["id"] for i in summary["incidents"]] == [f"i{site.active.pk}"]
    assert summary["status"]["indicator"] == "critical"


def test_incidents_json_holds_the_fifty_newest_and_every_open_one(client):
    old_open = open_incident("Still open", at=timezone.now() - timedelta(days=400))
    for n in range(51):
        incident = open_incident(f"Done {n}", at=timezone.now() - timedelta(days=n, hours=1))
        actions.resolve_incident(incident, body="Fixed.")

    names = [i["name"] for i in get(client, "incidents.json")["incidents"]]

    assert len(names) == 51
    assert names[0] == "Done 0" and names[49] == "Done 49"
    assert names[-1] == old_open.title


def test_maintenance_states_map_onto_statuspage_s_four(client):
    start = timezone.now() + timedelta(days=3)
    window = {"start": start, "end": start + timedelta(hours=2)}
    scheduled = schedule_maintenance("Scheduled", **window)
    rescheduled = schedule_maintenance("Rescheduled", **window)
    actions.reschedule_maintenance(
        rescheduled,
        scheduled_start=start + timedelta(days=1),
        scheduled_end=start + timedelta(days=1, hours=2),
        body="Moved a day.",
    )
    postponed = schedule_maintenance("Postponed", **window)
    actions.start_maintenance(postponed)
    actions.postpone_maintenance(postponed, body="Reverted; a new date follows.")
    running = schedule_maintenance("Running", **window)
    actions.start_maintenance(running)
    cancelled = schedule_maintenance("Cancelled", **window)
    actions.cancel_maintenance(cancelled, body="Not needed after all.")

    listed = {
        m["name"]: m for m in get(client, "scheduled-maintenances.json")["scheduled_maintenances"]
    }
    upcoming = get(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    active = get(client, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    summary = get(client, "summary.json")

    assert {name: m["status"] for name, m in listed.items()} == {
        "Scheduled": "scheduled",
        "Rescheduled": "scheduled",
        "Postponed": "scheduled",
        "Running": "in_progress",
    }
    assert [m["name"] for m in upcoming] == ["Scheduled", "Postponed", "Rescheduled"]
    assert [m["name"] for m in active] == ["Running"]
    assert {m["name"] for m in summary["scheduled_maintenances"]} == set(listed)
    assert summary["status"] == {
        "indicator": "maintenance",
        "description": "Service Under Maintenance",
    }
    assert listed["Scheduled"]["id"] == f"m{scheduled.pk}"
    assert listed["Scheduled"]["impact"] == "maintenance"
    assert (
        listed["Scheduled"]["incident_updates"][0]["body"] == "We are upgrading the mail database."
    )
    moved = listed["Rescheduled"]
    new_start = (start + timedelta(days=1)).astimezone(OSLO)
    assert moved["scheduled_for"] == new_start.isoformat(timespec="milliseconds")
    assert Maintenance.objects.count() == 5


def test_the_demo_s_rescheduled_window_reads_as_scheduled_for_its_new_date(client):
    call_command("load_demo", verbosity=0)

    windows = get(client, "scheduled-maintenances.json")["scheduled_maintenances"]
    december = next(m for m in windows if m["scheduled_for"].startswith("2012-12"))

    assert december["scheduled_for"] == "2012-12-20T06:30:00.000+01:00"
    assert december["scheduled_until"] == "2012-12-20T08:30:00.000+01:00"
    assert december["status"] == "completed"
    assert "scheduled" in [u["status"] for u in december["incident_updates"]]


def test_a_poll_costs_one_query_while_nothing_changes(client):
    build_site()
    first = client.get(API + "summary.json")

    with CaptureQueriesContext(connection) as captured:
        second = client.get(API + "summary.json")

    assert len(captured.captured_queries) == 1
    assert second.content == first.content


def test_a_render_costs_a_fixed_number_of_queries_however_much_history(client):
    site = build_site()
    with CaptureQueriesContext(connection) as small:
        client.get(API + "incidents.json")
    for n in range(10):
        open_incident(f"More {n}", components={site.smtp: ComponentStatus.PARTIAL_OUTAGE})

    with CaptureQueriesContext(connection) as large:
        client.get(API + "incidents.json")

    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_reader_with_the_current_copy_gets_304_until_something_changes(client, endpoint):
    make_component("IMAP")
    first = client.get(API + endpoint)
    etag, modified = first["ETag"], first["Last-Modified"]

    assert client.get(API + endpoint, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(API + endpoint, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304

    open_incident("Webmail is slow")
    assert client.get(API + endpoint, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_last_modified_and_updated_at_say_when_the_public_site_last_changed(client):
    make_component("IMAP")
    PublicationState.objects.filter(pk=1).update(token=uuid.uuid4(), changed_at=utc(2013, 1, 25))

    response = client.get(API + "status.json")

    assert response["Last-Modified"] == "Fri, 25 Jan 2013 00:00:00 GMT"
    assert response["Cache-Control"] == "public, max-age=30"
    assert json.loads(response.content)["page"]["updated_at"] == "2013-01-25T01:00:00.000+01:00"


def test_any_origin_may_read_and_preflight(client):
    response = client.get(API + "summary.json", HTTP_ORIGIN="https://dashboard.example")
    assert response["Access-Control-Allow-Origin"] == "*"

    preflight = client.options(
        API + "summary.json",
        HTTP_ORIGIN="https://dashboard.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]


def test_writing_to_a_public_document_is_refused_as_json(client):
    response = client.post(API + "summary.json", {"status": "none"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert json.loads(response.content)["error"] == "method_not_allowed"


def test_cache_busting_query_strings_share_one_cached_copy(client):
    make_component("IMAP")
    client.get(API + "summary.json?_=1")

    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + "summary.json?_=2&callback=x")

    assert response.status_code == 200
    assert len(captured.captured_queries) == 1


def test_a_status_change_shows_in_the_next_poll(client):
    imap = make_component("IMAP")
    assert get(client, "status.json")["status"]["indicator"] == "none"

    actions.set_component_status(imap, ComponentStatus.MAJOR_OUTAGE)

    assert get(client, "status.json")["status"]["indicator"] == "critical"
    incident = open_incident("IMAP down", impact=Impact.MINOR)
    actions.post_incident_update(incident, status=IncidentStatus.MONITORING, body="Watching.")
    (listed,) = get(client, "incidents/unresolved.json")["incidents"]
    assert listed["monitoring_at"] is not None
