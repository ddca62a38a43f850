"""The console's probes: the list with results, uptime and chart; admins add, edit, disable and
delete; the dashboard's alert card and the incident form it opens, prefilled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    AuditEntry,
    ComponentStatus,
    Incident,
    Probe,
    ProbeAlert,
    ProbeHour,
    ProbeResult,
)
from probes.alerts import evaluate
from tests.factories import make_component

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "IMAP 993",
    "kind": "imap",
    "host": "mail.runbox.example",
    "port": "993",
    "tls": "implicit",
    "path": "/",
    "interval_seconds": "60",
    "timeout_seconds": "10",
    "retries": "1",
    "status_on_failure": "major_outage",
    "enabled": "on",
}


@pytest.fixture
def component(db):
    return make_component("IMAP")


@pytest.fixture
def probe(component):
    return Probe.objects.create(
        component=component, name="IMAP 993", kind="imap", host="mail.runbox.example", port=993
    )


def result(probe, location, minutes_ago, ok=True, ms=25.0, error=""):
    return ProbeResult.objects.create(
        probe=probe,
        location=location,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        ok=ok,
        duration_ms=ms,
        error=error,
    )


def test_the_list_shows_last_results_uptime_and_a_chart(editor, signed_in, probe):
    result(probe, "oslo", 90, ms=30.0)
    result(probe, "oslo", 30, ok=False, error="TLS handshake timed out")
    result(probe, "frankfurt", 20, ms=40.0)
    result(probe, "frankfurt", 10, ms=50.0)
    ProbeHour.objects.create(
        probe=probe,
        location="oslo",
        hour=(timezone.now() - timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
        count=96,
        failures=0,
    )

    page = signed_in(editor).get(reverse("console:probes")).content.decode()

    assert "TLS handshake timed out" in page  # oslo's last result
    assert page.count('component-operational">OK<') == 1  # frankfurt's last result
    assert "75.00 %" in page  # 3 of 4 results in 24 h
    assert "99.00 %" in page  # 99 of 100 over 30 days: the rollup and the raw results
    assert "<polyline points=" in page
    assert "Add a probe" not in page  # editors only look


def test_an_admin_adds_a_probe(admin_user, signed_in, component):
    client = signed_in(admin_user)

    response = client.post(reverse("console:probe_new"), {**GOOD, "component": component.pk})

    assert response.status_code == 302
    probe = Probe.objects.get()
    assert (probe.host, probe.port, probe.kind) == ("mail.runbox.example", 993, "imap")
    assert AuditEntry.objects.about(probe).get().action == "probe.created"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"host": "https://mail.runbox.example/"}, "host", "without a scheme, port or path"),
        ({"host": "mail_box!.example"}, "host", "is not a host name"),
        ({"port": "70000"}, "port", "less than or equal to 65535"),
        ({"port": "0"}, "port", "greater than or equal to 1"),
        ({"kind": "tcp", "port": "", "tls": "none"}, "port", "A TCP check needs a port"),
        ({"kind": "dns", "tls": "none"}, "record_type", "needs a record type"),
        ({"kind": "dns", "tls": "none", "record_type": "MX"}, "expected_values", "at least one"),
        (
            {"kind": "dns", "tls": "none", "record_type": "A", "expected_values": "::1"},
            "expected_values",
            "is not an IPv4 address",
        ),
        ({"kind": "https", "path": "status"}, "path", "starts with /"),
        ({"kind": "https", "expected_status": "700"}, "expected_status", "between 100 and 599"),
        ({"kind": "https", "tls": "starttls"}, "tls", "does not fit"),
        ({"timeout_seconds": "60"}, "timeout_seconds", "shorter than the interval"),
        ({"interval_seconds": "abc"}, "interval_seconds", "Enter a whole number"),
        ({"component": "999999"}, "component", "Choose one of the components"),
        (
            {"sets_component_status": "on", "status_on_failure": "operational"},
            "status_on_failure",
            "says something is wrong",
        ),
    ],
)
def test_bad_input_is_a_clear_error_never_a_500(
    admin_user, signed_in, component, changes, field, message
):
    data = {**GOOD, "component": component.pk, **changes}

    response = signed_in(admin_user).post(reverse("console:probe_new"), data)

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert message.split("{")[0] in response.content.decode().replace("&#x27;", "'")
    assert not Probe.objects.exists()


def test_an_admin_edits_disables_and_deletes_a_probe(admin_user, signed_in, probe):
    client = signed_in(admin_user)
    data = {**GOOD, "component": probe.component_id, "name": "IMAP (Oslo)", "retries": "2"}

    assert client.post(reverse("console:probe", args=[probe.pk]), data).status_code == 302
    probe.refresh_from_db()
    assert (probe.name, probe.retries) == ("IMAP (Oslo)", 2)

    client.post(reverse("console:probe_disable", args=[probe.pk]))
    probe.refresh_from_db()
    assert not probe.enabled

    assert client.get(reverse("console:probe_delete", args=[probe.pk])).status_code == 200
    client.post(reverse("console:probe_delete", args=[probe.pk]))
    assert not Probe.objects.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"probe.edited", "probe.disabled", "probe.deleted"} <= actions


def test_editors_cannot_change_probes(editor, signed_in, probe):
    client = signed_in(editor)
    data = {**GOOD, "component": probe.component_id, "name": "Renamed"}

    assert client.post(reverse("console:probe", args=[probe.pk]), data).status_code == 403
    assert client.post(reverse("console:probe_new"), data).status_code == 403
    assert client.post(reverse("console:probe_disable", args=[probe.pk])).status_code == 403
    assert client.post(reverse("console:probe_delete", args=[probe.pk])).status_code == 403
    probe.refresh_from_db()
    assert probe.name == "IMAP 993" and probe.enabled


def failing_alert(probe) -> ProbeAlert:
    result(probe, "oslo", 2, ok=False, error="Connection refused")
    result(probe, "oslo", 1, ok=False, error="Connection refused")
    evaluate([probe.pk])
    return ProbeAlert.objects.get(probe=probe)


def test_the_dashboard_shows_the_alert_with_its_evidence(editor, signed_in, probe):
    alert = failing_alert(probe)
    client = signed_in(editor)

    page = client.get(reverse("console:dashboard")).content.decode()
    assert "IMAP: IMAP 993 failing" in page
    assert "From <strong>oslo</strong> since " in page and "Connection refused" in page
    assert f"{reverse('console:incident_new')}?alert={alert.pk}" in page

    htmx = {"HX-Request": "true", "HX-Target": "probe-alerts"}
    partial = client.get(reverse("console:dashboard"), headers=htmx).content.decode()
    assert partial.lstrip().startswith('<div id="probe-alerts"')
    assert "Connection refused" in partial


def test_open_an_incident_from_the_alert_prefills_and_links_it(editor, signed_in, probe):
    probe.status_on_failure = ComponentStatus.PARTIAL_OUTAGE
    probe.save()
    alert = failing_alert(probe)
    client = signed_in(editor)

    response = client.get(f"{reverse('console:incident_new')}?alert={alert.pk}")
    form = response.context["form"]
    assert form["title"].value() == "IMAP: IMAP 993 failing"
    assert form[f"component_{probe.component_id}"].value() == "partial_outage"
    body = form["body"].value()
    assert "IMAP check of mail.runbox.example:993" in body
    assert "from oslo since " in body and (" CET" in body or " CEST" in body)

    data = {
        "title": form["title"].value(),
        "impact": form["impact"].value(),
        "status": "investigating",
        "body": body,
        f"component_{probe.component_id}": "partial_outage",
        "alert": str(alert.pk),
        "next_update_in": "",
    }
    assert client.post(reverse("console:incident_new"), data).status_code == 302
    alert.refresh_from_db()
    assert alert.incident == Incident.objects.get()


def test_a_bad_alert_in_the_address_opens_an_empty_form(editor, signed_in):
    client = signed_in(editor)
    for value in ("abc", "999999", "1" * 40):
        response = client.get(f"{reverse('console:incident_new')}?alert={value}")
        assert response.status_code == 200
        assert response.context["form"]["title"].value() in (None, "")


def test_the_list_costs_the_same_queries_however_many_probes_and_results(
    editor, signed_in, component
):
    client = signed_in(editor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("console:probes")).status_code == 200
        return len(captured)

    first = Probe.objects.create(component=component, name="IMAP", kind="imap", host="a.example")
    result(first, "oslo", 5)
    few = queries()
    for n in range(3):
        probe = Probe.objects.create(
            component=make_component(f"Service {n}"), name=f"P{n}", kind="tcp", host="b.example"
        )
        for minutes in range(0, 600, 10):
            result(probe, "oslo", minutes)
            result(probe, "frankfurt", minutes, ok=minutes % 20 == 0)
    assert queries() == few
