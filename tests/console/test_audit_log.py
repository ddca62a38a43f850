"""The audit log's "Changes" column in words: names, statuses, times with their zone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import actions
from incidents.models import ComponentStatus, IncidentStatus
from tests.factories import make_component, make_group, oslo, schedule_maintenance, utc

pytestmark = pytest.mark.django_db


def changes_column(html: str) -> str:
    return html.split("<tbody>", 1)[1]


def test_an_incident_s_changes_name_components_statuses_and_times_in_words(signed_in, admin_user):
    imap = make_component("IMAP")
    incident = actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible.",
        impact="critical",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    actions.resolve_incident(incident, body="Mail flows again.", posted_at=oslo(2013, 1, 25, 3))

    html = changes_column(signed_in(admin_user).get(reverse("console:audit")).content.decode())

    assert "IMAP status</span>: Operational → Major outage" in html
    assert "IMAP status</span>: Major outage → Operational" in html
    assert "Status</span>: Investigating → Resolved" in html
    assert "Impact</span>: Critical" in html
    assert "Resolved at</span>: Fri 25 Jan 2013, 03:00 CET" in html
    assert "Started at</span>: Fri 25 Jan 2013, 00:15 CET" in html
    for raw in ("component_id", "{", "[", "2013-01-2", "version", "major_outage", "None"):
        assert raw not in html, raw


def test_maintenance_components_are_named_and_a_move_shows_the_new_group(signed_in, admin_user):
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    schedule_maintenance(start=utc(2040, 1, 1, 5), end=utc(2040, 1, 1, 7), components=[imap, smtp])
    mail = make_group("Mail")
    actions.update_component(imap, name="IMAP", group=mail, showcase=False)

    html = changes_column(signed_in(admin_user).get(reverse("console:audit")).content.decode())

    assert "Components</span>: IMAP, SMTP" in html
    assert "Scheduled start</span>: Sun 1 Jan 2040, 06:00 CET" in html
    assert "Group</span>: Mail" in html
    assert "Showcase</span>: yes → no" in html
    assert "Sequence" not in html and "#" not in html


def test_the_audit_page_costs_the_same_queries_however_many_components_it_names(
    signed_in, admin_user
):
    client = signed_in(admin_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("console:audit")).status_code == 200
        return len(captured)

    components = [make_component(f"Service {n}") for n in range(3)]
    schedule_maintenance(start=utc(2040, 1, 1), end=utc(2040, 1, 2), components=components[:1])
    few = queries()
    for component in components:
        actions.set_component_status(component, ComponentStatus.DEGRADED_PERFORMANCE)
    schedule_maintenance(start=utc(2040, 2, 1), end=utc(2040, 2, 2), components=components)
    incident = actions.open_incident(
        title="Slow", body="Slow.", component_statuses=dict.fromkeys(components, "partial_outage")
    )
    actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body="Found.")

    assert queries() == few
