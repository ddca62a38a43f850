"""Every list of an incident's or a window's components follows the status page's order.

The status page lists components without a group first, then group by group
(by the group's position), each group by the components' positions. A reader
comparing the incident page, its updates, the API, the calendar and a mail
with the status page finds the same order in each, whatever order the editor
ticked them in.
"""

from __future__ import annotations

import json
import re

import pytest

import actions
from incidents.api import serializers
from incidents.calendar import maintenance_calendar
from incidents.models import ComponentStatus, IncidentUpdate
from notifier.models import Notice
from notifier.notice_text import notice_text
from tests.factories import make_component, make_group, open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

PAGE_ORDER = ["DNS", "Webmail", "SMTP", "IMAP"]


@pytest.fixture
def components():
    web, mail = make_group("Web", position=1), make_group("Mail", position=2)
    return {
        "IMAP": make_component("IMAP", group=mail, position=2),
        "DNS": make_component("DNS", position=5),
        "Webmail": make_component("Webmail", group=web, position=1),
        "SMTP": make_component("SMTP", group=mail, position=1),
    }


@pytest.fixture
def incident(components):
    # Ticked in an order that is neither the page's nor the components' own positions.
    ticked = ["IMAP", "DNS", "Webmail", "SMTP"]
    incident = open_incident(
        "Everything is slow",
        components={components[name]: ComponentStatus.PARTIAL_OUTAGE for name in ticked},
        at=oslo(2013, 3, 1, 9, 0),
    )
    actions.resolve_incident(incident, body="Fast again.", posted_at=oslo(2013, 3, 1, 10, 0))
    return incident


def in_order(text: str, names: list[str]) -> list[str]:
    return sorted(names, key=text.index)


def test_the_status_page_itself_lists_them_in_the_page_order(client, components):
    html = client.get("/").content.decode()

    assert in_order(html, PAGE_ORDER) == PAGE_ORDER


def test_the_incident_page_lists_affected_components_and_each_update_in_page_order(
    client, incident
):
    html = client.get(f"/incidents/{incident.pk}/").content.decode()

    affected = html.split("<dt>Affected</dt>")[1].split("</dd>")[0]
    assert in_order(affected, PAGE_ORDER) == PAGE_ORDER
    updates = re.findall(r'<ul class="changes">(.*?)</ul>', html, re.S)
    assert len(updates) == 2
    for changes in updates:
        assert in_order(changes, PAGE_ORDER) == PAGE_ORDER


def test_an_update_written_before_the_order_was_kept_reads_in_page_order(client, incident):
    first = incident.updates.order_by("posted_at").first()
    IncidentUpdate.objects.filter(pk=first.pk).update(
        component_changes=list(reversed(first.component_changes))
    )

    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    changes = html.split(f'id="update-{first.pk}"')[1].split("</ul>")[0]
    assert in_order(changes, PAGE_ORDER) == PAGE_ORDER
    api = json.loads(client.get("/api/v2/incidents.json").content)
    [listed] = api["incidents"]
    for update in listed["incident_updates"]:
        assert [c["name"] for c in update["affected_components"]] == PAGE_ORDER
    assert [c["name"] for c in listed["components"]] == PAGE_ORDER


def test_the_mail_text_lists_them_in_page_order(incident):
    for notice in Notice.objects.filter(incident=incident):
        assert notice_text(notice).components == tuple(PAGE_ORDER)


def test_maintenance_lists_them_in_page_order_on_every_page_and_the_calendar(client, components):
    ticked = [components[name] for name in ["IMAP", "DNS", "Webmail", "SMTP"]]
    work = schedule_maintenance(
        start=oslo(2040, 3, 1, 6, 0), end=oslo(2040, 3, 1, 7, 0), components=ticked
    )
    listed = ", ".join(PAGE_ORDER)

    assert (
        f"<dt>Affects</dt><dd>{listed}</dd>"
        in client.get(f"/maintenance/{work.pk}/").content.decode()
    )
    assert f"Affects {listed}" in client.get("/").content.decode()
    description = str(maintenance_calendar().walk("VEVENT")[0]["DESCRIPTION"])
    assert f"Affects: {listed}." in description
    for notice in Notice.objects.filter(maintenance=work):
        assert notice_text(notice).components == tuple(PAGE_ORDER)
    tree = serializers.ComponentTree.load()
    assert [c["name"] for c in serializers.maintenance(work, tree)["components"]] == PAGE_ORDER
