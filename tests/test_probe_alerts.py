"""Probe alerts: k of n locations failing in a row open one, recovery closes it, and a probe
may set its component's status (set back on recovery unless a person changed it since)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

import actions
from incidents.models import AuditEntry, ComponentStatus, Probe, ProbeAlert, ProbeResult
from incidents.timefmt import iso_utc
from notifier.mirror.targets import configured_targets
from notifier.models import Delivery, Notice, WebhookEndpoint
from probes.alerts import evaluate
from probes.evidence import draft_text
from probes.signals import results_recorded
from tests.factories import make_component, open_incident

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def make_probe(**fields: object) -> Probe:
    component = fields.pop("component", None) or make_component("IMAP")
    defaults: dict[str, object] = {
        "name": "IMAP 993",
        "kind": "imap",
        "host": "mail.runbox.example",
        "port": 993,
        "interval_seconds": 60,
        "retries": 1,  # two failures in a row
    }
    return Probe.objects.create(component=component, **{**defaults, **fields})


def results(probe: Probe, location: str, outcomes: str, *, end: datetime = NOW) -> None:
    """One result a minute up to `end`, oldest first: '.' ok, 'x' failed."""
    for back, outcome in enumerate(reversed(outcomes)):
        ProbeResult.objects.create(
            probe=probe,
            location=location,
            started_at=end - timedelta(minutes=back),
            ok=outcome == ".",
            duration_ms=20.0,
            error="" if outcome == "." else "Connection refused",
        )


def open_alert(probe: Probe) -> ProbeAlert | None:
    return ProbeAlert.objects.filter(probe=probe, closed_at__isnull=True).first()


def test_failing_in_a_row_from_a_location_opens_an_alert_with_the_evidence(settings):
    probe = make_probe()
    results(probe, "oslo", "...xxx")

    assert evaluate([probe.pk], NOW)

    alert = open_alert(probe)
    assert alert is not None
    assert alert.evidence == {
        "oslo": {
            "since": iso_utc(NOW - timedelta(minutes=2)),
            "last_at": iso_utc(NOW),
            "error": "Connection refused",
            "failures": 3,
        }
    }
    text = draft_text(alert)
    assert "IMAP check of mail.runbox.example:993" in text
    assert "from oslo since " in text and "(Connection refused)" in text


def test_a_single_failure_is_a_blip_not_an_alert():
    probe = make_probe()
    results(probe, "oslo", "....x")

    assert evaluate([probe.pk], NOW) == []
    assert open_alert(probe) is None


def test_one_location_failing_of_two_opens_nothing_below_k(settings):
    settings.PROBE_ALERT_MIN_LOCATIONS = 2
    probe = make_probe()
    results(probe, "oslo", "..xxxx")
    results(probe, "frankfurt", "......")

    evaluate([probe.pk], NOW)
    assert open_alert(probe) is None

    later = NOW + timedelta(minutes=2)
    results(probe, "frankfurt", "xx", end=later)
    results(probe, "oslo", "xx", end=later)
    evaluate([probe.pk], later)
    assert set(open_alert(probe).evidence) == {"oslo", "frankfurt"}


def test_a_location_that_stopped_reporting_no_longer_counts(settings):
    settings.PROBE_ALERT_MIN_LOCATIONS = 2
    probe = make_probe()
    results(probe, "oslo", "xxxx")
    results(probe, "frankfurt", "xxxx", end=NOW - timedelta(hours=1))

    evaluate([probe.pk], NOW)
    assert open_alert(probe) is None


def test_recovery_closes_the_alert_and_keeps_the_evidence():
    probe = make_probe()
    results(probe, "oslo", "xxx")
    evaluate([probe.pk], NOW)
    alert = open_alert(probe)

    results(probe, "oslo", ".", end=NOW + timedelta(minutes=1))
    assert evaluate([probe.pk], NOW + timedelta(minutes=1)) == [alert]

    alert.refresh_from_db()
    assert alert.closed_at == NOW + timedelta(minutes=1)
    assert alert.evidence["oslo"]["failures"] == 3
    assert open_alert(probe) is None


def test_one_open_alert_per_probe_however_often_it_is_evaluated():
    probe = make_probe()
    results(probe, "oslo", "xxx")
    evaluate([probe.pk], NOW)
    results(probe, "oslo", "x", end=NOW + timedelta(minutes=1))
    assert evaluate([probe.pk, probe.pk], NOW + timedelta(minutes=1)) == []

    assert ProbeAlert.objects.filter(probe=probe).count() == 1
    assert open_alert(probe).evidence["oslo"]["failures"] == 4


def test_silence_is_no_recovery_but_disabling_the_probe_closes_its_alert():
    probe = make_probe()
    results(probe, "oslo", "xxx")
    evaluate([probe.pk], NOW)

    evaluate([probe.pk], NOW + timedelta(hours=2))
    assert open_alert(probe) is not None

    actions.probes.set_probe_enabled(probe, False)
    evaluate([probe.pk], NOW + timedelta(hours=2))
    assert open_alert(probe) is None


def test_the_signal_from_a_runner_evaluates_its_probes():
    probe = make_probe()
    # The receiver evaluates at the real time: the results are stamped now, not at import.
    results(probe, "oslo", "xx", end=timezone.now())

    results_recorded.send(sender=None, probe_ids=[probe.pk])

    assert open_alert(probe) is not None


def probe_setting_status(**fields: object) -> Probe:
    return make_probe(
        sets_component_status=True, status_on_failure=ComponentStatus.PARTIAL_OUTAGE, **fields
    )


def fail_then_recover(probe: Probe, between=None) -> None:
    results(probe, "oslo", "xx")
    evaluate([probe.pk], NOW)
    if between is not None:
        between()
    results(probe, "oslo", ".", end=NOW + timedelta(minutes=1))
    evaluate([probe.pk], NOW + timedelta(minutes=1))


def test_a_probe_sets_its_components_status_as_the_probe_and_sets_it_back(settings):
    probe = probe_setting_status()
    component = probe.component
    results(probe, "oslo", "xx")
    evaluate([probe.pk], NOW)

    component.refresh_from_db()
    assert component.status == ComponentStatus.PARTIAL_OUTAGE
    assert open_alert(probe).set_status
    entry = AuditEntry.objects.about(component).get(action="component.status")
    assert entry.actor is None and entry.actor_name == "probe “IMAP 993”"

    results(probe, "oslo", ".", end=NOW + timedelta(minutes=1))
    evaluate([probe.pk], NOW + timedelta(minutes=1))
    component.refresh_from_db()
    assert component.status == ComponentStatus.OPERATIONAL
    assert AuditEntry.objects.about(component).filter(action="component.status").count() == 2


def test_a_probe_set_status_reaches_no_reader_channel(settings):
    settings.MIRROR_LOCAL_DIR = ""
    probe = probe_setting_status()
    results(probe, "oslo", "xx")
    evaluate([probe.pk], NOW)

    # No mirror configured: no notice at all, so no webhook or mail could carry it.
    assert not Notice.objects.exists()


def test_a_probe_set_status_goes_to_the_mirror_and_no_webhook(settings, tmp_path):
    settings.MIRROR_LOCAL_DIR = str(tmp_path)
    WebhookEndpoint.objects.create(url="https://hooks.example.com/status")
    probe = probe_setting_status()
    results(probe, "oslo", "xx")
    evaluate([probe.pk], NOW)

    notice = Notice.objects.get()
    assert notice.kind == "component.updated"
    assert notice.channels == [target.name for target in configured_targets()] != []
    assert set(Delivery.objects.values_list("channel", flat=True)) == set(notice.channels)


def test_a_persons_later_status_wins_over_the_set_back():
    probe = probe_setting_status()
    component = probe.component

    def person_sets_it() -> None:
        actions.set_component_status(component, ComponentStatus.MAJOR_OUTAGE)

    fail_then_recover(probe, person_sets_it)
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE


def test_a_person_setting_the_same_status_also_wins():
    probe = probe_setting_status()
    component = probe.component

    def person_confirms_it() -> None:
        actions.set_component_status(component, ComponentStatus.OPERATIONAL)
        actions.set_component_status(component, ComponentStatus.PARTIAL_OUTAGE)

    fail_then_recover(probe, person_confirms_it)
    component.refresh_from_db()
    assert component.status == ComponentStatus.PARTIAL_OUTAGE


def test_an_incident_opened_meanwhile_keeps_the_component():
    probe = probe_setting_status()
    component = probe.component

    def incident_names_it() -> None:
        open_incident("IMAP down", components={component: ComponentStatus.PARTIAL_OUTAGE})

    fail_then_recover(probe, incident_names_it)
    component.refresh_from_db()
    assert component.status == ComponentStatus.PARTIAL_OUTAGE


def test_a_component_held_by_an_incident_is_not_set_by_the_probe():
    probe = probe_setting_status()
    component = probe.component
    open_incident("IMAP slow", components={component: ComponentStatus.DEGRADED_PERFORMANCE})
    results(probe, "oslo", "xx")
    evaluate([probe.pk], NOW)

    component.refresh_from_db()
    assert component.status == ComponentStatus.DEGRADED_PERFORMANCE
    assert not open_alert(probe).set_status


def test_a_probe_without_the_choice_leaves_the_status_alone():
    probe = make_probe()
    results(probe, "oslo", "xx")
    evaluate([probe.pk], NOW)

    probe.component.refresh_from_db()
    assert probe.component.status == ComponentStatus.OPERATIONAL


def test_healthy_probes_cost_three_queries_however_many(django_assert_num_queries):
    component = make_component("Webmail")
    healthy = [make_probe(component=component, name=f"Check {n}") for n in range(20)]
    for probe in healthy:
        results(probe, "oslo", "x.....")  # the blip is older than the window

    with django_assert_num_queries(3):
        assert evaluate([probe.pk for probe in healthy], NOW) == []
