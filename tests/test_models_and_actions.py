"""Incidents through actions: the lifecycle, components, refusals.

Maintenance: test_maintenance_actions.py. Overall status and posts: test_status_and_posts.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

import actions
from incidents.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    InvalidTransition,
    Maintenance,
    MaintenanceUpdate,
    Post,
)
from tests.factories import (
    make_component,
    open_incident,
    schedule_maintenance,
    utc,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

T0 = utc(2024, 5, 1, 10, 0)
MINUTE = timedelta(minutes=1)


def row_counts() -> dict[str, int]:
    models = (Incident, IncidentUpdate, IncidentComponent, Maintenance, MaintenanceUpdate, Post)
    return {model.__name__: model.objects.count() for model in models}


def status_of(component: Component) -> str:
    return Component.objects.get(pk=component.pk).status


def update(incident: Incident, status: str, minutes: int, **kwargs: object) -> IncidentUpdate:
    return actions.post_incident_update(
        incident, status=status, body=f"Now {status}.", posted_at=T0 + minutes * MINUTE, **kwargs
    )


# The lifecycle


def test_it_walks_an_incident_from_investigating_to_postmortem():
    incident = open_incident(at=T0)
    assert (incident.status, incident.monitoring_at, incident.resolved_at) == (
        IncidentStatus.INVESTIGATING,
        None,
        None,
    )

    update(incident, IncidentStatus.IDENTIFIED, 10)
    update(incident, IncidentStatus.MONITORING, 20)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.monitoring_at == T0 + 20 * MINUTE
    assert incident.resolved_at is None

    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + 30 * MINUTE)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at == T0 + 30 * MINUTE
    assert incident.duration == timedelta(minutes=30)

    update(incident, IncidentStatus.POSTMORTEM, 60 * 24)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.POSTMORTEM
    assert incident.resolved_at == T0 + 30 * MINUTE
    assert [u.status for u in reversed(incident.timeline())] == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
        "postmortem",
    ]
    assert incident.updated_at == T0 + timedelta(days=1)


def test_it_clears_resolved_at_when_an_incident_is_reopened():
    incident = open_incident(at=T0)
    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + 5 * MINUTE)

    update(incident, IncidentStatus.INVESTIGATING, 9)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING
    assert incident.is_open
    assert incident.resolved_at is None
    assert list(Incident.objects.unresolved()) == [incident]


@pytest.mark.parametrize(
    "status",
    [
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MONITORING,
        IncidentStatus.RESOLVED,
    ],
)
def test_it_refuses_to_move_a_postmortem_back(status):
    incident = open_incident(at=T0)
    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + MINUTE)
    update(incident, IncidentStatus.POSTMORTEM, 2)
    before = row_counts()

    with pytest.raises(InvalidTransition, match="postmortem"):
        update(incident, status, 3)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.POSTMORTEM
    assert row_counts() == before


def test_it_refuses_a_postmortem_for_an_incident_that_is_still_open():
    incident = open_incident(at=T0)

    with pytest.raises(InvalidTransition):
        update(incident, IncidentStatus.POSTMORTEM, 1)


# Components


def test_it_sets_components_when_an_incident_opens_and_records_the_change():
    imap, webmail = make_component("IMAP"), make_component("Webmail")

    incident = open_incident(
        components={
            imap: ComponentStatus.MAJOR_OUTAGE,
            webmail: ComponentStatus.DEGRADED_PERFORMANCE,
        },
        at=T0,
    )

    assert status_of(imap) == ComponentStatus.MAJOR_OUTAGE
    assert status_of(webmail) == ComponentStatus.DEGRADED_PERFORMANCE
    (first,) = incident.timeline()
    assert sorted(first.component_changes, key=lambda c: c["name"]) == [
        {
            "component_id": imap.pk,
            "name": "IMAP",
            "old_status": "operational",
            "new_status": "major_outage",
        },
        {
            "component_id": webmail.pk,
            "name": "Webmail",
            "old_status": "operational",
            "new_status": "degraded_performance",
        },
    ]


def test_it_resolves_components_when_incident_resolves():
    imap = make_component("IMAP")
    incident = open_incident(components={imap: ComponentStatus.PARTIAL_OUTAGE}, at=T0)

    resolution = actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + MINUTE)

    assert status_of(imap) == ComponentStatus.OPERATIONAL
    assert resolution.component_changes == [
        {
            "component_id": imap.pk,
            "name": "IMAP",
            "old_status": "partial_outage",
            "new_status": "operational",
        }
    ]


def test_it_records_component_changes_made_by_a_later_update():
    smtp = make_component("SMTP")
    incident = open_incident(components={smtp: ComponentStatus.DEGRADED_PERFORMANCE}, at=T0)

    worse = update(
        incident,
        IncidentStatus.IDENTIFIED,
        5,
        component_statuses={smtp: ComponentStatus.MAJOR_OUTAGE},
    )

    assert status_of(smtp) == ComponentStatus.MAJOR_OUTAGE
    assert worse.component_changes == [
        {
            "component_id": smtp.pk,
            "name": "SMTP",
            "old_status": "degraded_performance",
            "new_status": "major_outage",
        }
    ]
    assert IncidentComponent.objects.get(incident=incident, component=smtp).status == "major_outage"


def test_it_keeps_a_component_down_while_another_open_incident_holds_it():
    imap = make_component("IMAP")
    first = open_incident("Logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE}, at=T0)
    second = open_incident("Mail delayed", components={imap: ComponentStatus.MAJOR_OUTAGE}, at=T0)

    resolution = actions.resolve_incident(first, body="Logins work.", posted_at=T0 + MINUTE)

    assert status_of(imap) == ComponentStatus.MAJOR_OUTAGE
    assert resolution.component_changes == []

    actions.resolve_incident(second, body="Mail flows.", posted_at=T0 + 2 * MINUTE)
    assert status_of(imap) == ComponentStatus.OPERATIONAL


def test_it_keeps_a_component_under_maintenance_when_an_incident_on_it_resolves_during_the_work():
    imap = make_component("IMAP")
    work = schedule_maintenance(start=T0, end=T0 + timedelta(hours=2), components=[imap])
    actions.start_maintenance(work, posted_at=T0)
    incident = open_incident(components={imap: ComponentStatus.PARTIAL_OUTAGE}, at=T0 + MINUTE)

    actions.resolve_incident(incident, body="Fixed.", posted_at=T0 + 2 * MINUTE)

    # The work is still going on: the component is neither operational nor still "partial outage".
    assert status_of(imap) == ComponentStatus.UNDER_MAINTENANCE


# Refusals save nothing


@pytest.mark.parametrize(
    "bad",
    [
        {"body": "   "},
        {"body": ""},
        {"title": "  "},
        {"impact": "catastrophic"},
        {"status": IncidentStatus.RESOLVED},
        {"component_status": "on_fire"},
    ],
    ids=[
        "blank-body",
        "empty-body",
        "blank-title",
        "bad-impact",
        "opens-resolved",
        "bad-component",
    ],
)
def test_it_refuses_a_bad_new_incident_and_saves_nothing(bad):
    bad = dict(bad)
    imap = make_component("IMAP")
    before = row_counts()
    arguments = {
        "title": "Logins fail",
        "body": "We are looking into it.",
        "impact": Impact.MAJOR,
        "status": IncidentStatus.INVESTIGATING,
        "component_statuses": {imap: bad.pop("component_status", ComponentStatus.MAJOR_OUTAGE)},
        **bad,
    }

    with pytest.raises(ValidationError):
        actions.open_incident(**arguments)

    assert row_counts() == before
    assert status_of(imap) == ComponentStatus.OPERATIONAL


def test_it_leaves_the_callers_components_alone_when_it_refuses_an_incident():
    imap = make_component("IMAP")

    with pytest.raises(ValidationError):
        actions.open_incident(
            title="Logins fail", body="", component_statuses={imap: ComponentStatus.MAJOR_OUTAGE}
        )

    # The database was rolled back; the caller's object must not claim otherwise.
    assert imap.status == ComponentStatus.OPERATIONAL


@pytest.mark.parametrize(
    "bad",
    [
        {"body": ""},
        {"body": "\n\t "},
        {"status": "fixed"},
        {"component_statuses": "on_fire"},
    ],
    ids=["empty-body", "blank-body", "bad-status", "bad-component"],
)
def test_it_refuses_a_bad_update_and_saves_nothing(bad):
    imap = make_component("IMAP")
    incident = open_incident(components={imap: ComponentStatus.DEGRADED_PERFORMANCE}, at=T0)
    before = row_counts()
    arguments = {"status": IncidentStatus.RESOLVED, "body": "Fixed.", **bad}
    if "component_statuses" in bad:
        arguments["component_statuses"] = {imap: bad["component_statuses"]}

    with pytest.raises(ValidationError):
        actions.post_incident_update(incident, **arguments)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING
    assert row_counts() == before
    assert status_of(imap) == ComponentStatus.DEGRADED_PERFORMANCE


def test_it_refuses_a_bad_component_status_set_directly():
    imap = make_component("IMAP")

    with pytest.raises(ValidationError):
        actions.set_component_status(imap, "sort_of_fine")

    assert status_of(imap) == ComponentStatus.OPERATIONAL
