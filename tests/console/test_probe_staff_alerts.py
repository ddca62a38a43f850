"""Staff hear of a probe alert once, by mail to a real SMTP server and a POST to a real
listener; a certificate about to expire warns them once per certificate."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from console.probe_alerts import alert_probe_failures, tell_staff, warn_expiring_certificates
from incidents.models import Probe, ProbeAlert, ProbeResult
from probes.alerts import evaluate
from tests.console.test_overdue_alerts import listener, smtp, staff  # noqa: F401 (fixtures)
from tests.factories import make_component

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe(db) -> Probe:
    return Probe.objects.create(
        component=make_component("IMAP"),
        name="IMAP 993",
        kind="imap",
        host="mail.runbox.example",
        port=993,
    )


# Certificates carry whole seconds; one seen twice has the same expiry.
NOW = timezone.now().replace(microsecond=0)


def record(probe: Probe, minutes_ago: int, *, ok: bool, cert_days: float | None = None) -> None:
    # Seen now (evaluation reads the last minutes, and the suite may run long after import);
    # the certificate's expiry from the fixed NOW, so one seen twice is the same certificate.
    ProbeResult.objects.create(
        probe=probe,
        location="oslo",
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        ok=ok,
        error="" if ok else "Connection refused",
        cert_expires_at=NOW + timedelta(days=cert_days) if cert_days is not None else None,
    )


def failing(probe: Probe) -> ProbeAlert:
    record(probe, 2, ok=False)
    record(probe, 1, ok=False)
    evaluate([probe.pk])
    return ProbeAlert.objects.get(probe=probe)


def test_staff_get_one_mail_per_alert(smtp, staff, probe):  # noqa: F811
    alert = failing(probe)

    assert alert_probe_failures(timezone.now()) == 1
    assert alert_probe_failures(timezone.now()) == 0  # the next tick: told already

    assert sorted(m.rcpt_tos for m in smtp.messages) == [
        ("adam@runbox.example",),
        ("erika@runbox.example",),
    ]
    mail = smtp.messages[0].message
    assert mail["Subject"] == "[Runbox Status] Probe failing: IMAP 993 (IMAP)"
    text = mail.get_content()
    assert "IMAP check of mail.runbox.example:993" in text
    assert "from oslo since " in text and "Connection refused" in text
    assert f"/staff/incidents/new/?alert={alert.pk}" in text
    alert.refresh_from_db()
    assert alert.staff_told_at is not None


def test_a_mail_server_that_is_down_is_tried_again_at_the_next_tick(smtp, staff, probe):  # noqa: F811
    failing(probe)
    smtp.stop()
    assert alert_probe_failures(timezone.now()) == 0
    smtp.start()

    assert alert_probe_failures(timezone.now()) == 1
    assert len(smtp.messages) == 2


def test_the_staff_webhook_gets_the_alert_once(settings, smtp, staff, listener, probe):  # noqa: F811
    settings.STAFF_ALERT_WEBHOOK_URL = listener.url
    failing(probe)

    tell_staff()
    tell_staff()

    assert len(listener.requests) == 1
    path, headers, body = listener.requests[0]
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert path == "/alerts/on-call"
    assert payload["event"] == "probe.alert_opened"
    assert payload["failing"][0]["location"] == "oslo"
    assert payload["failing"][0]["error"] == "Connection refused"
    assert payload["probe"]["target"] == "IMAP check of mail.runbox.example:993"


def test_a_certificate_expiring_within_14_days_warns_staff_once(smtp, staff, probe):  # noqa: F811
    record(probe, 3, ok=True, cert_days=5)

    assert warn_expiring_certificates(timezone.now()) == 1
    record(probe, 1, ok=True, cert_days=5)  # the same certificate, seen again
    assert warn_expiring_certificates(timezone.now()) == 0

    subjects = {m.message["Subject"] for m in smtp.messages}
    assert subjects == {"[Runbox Status] Certificate expires in 4 days: mail.runbox.example"}
    assert len(smtp.messages) == 2  # one per staff member


def test_a_renewed_certificate_that_expires_soon_again_warns_again(smtp, staff, probe):  # noqa: F811
    record(probe, 3, ok=True, cert_days=5)
    warn_expiring_certificates(timezone.now())
    record(probe, 1, ok=True, cert_days=10)

    assert warn_expiring_certificates(timezone.now()) == 1


def test_a_certificate_far_from_expiry_warns_nobody(smtp, staff, probe):  # noqa: F811
    record(probe, 1, ok=True, cert_days=60)

    assert warn_expiring_certificates(timezone.now()) == 0
    assert not smtp.messages


def test_the_console_shows_the_expiring_certificate(editor, signed_in, probe):
    record(probe, 1, ok=True, cert_days=5)

    page = signed_in(editor).get("/staff/").content.decode()

    assert "Certificates expiring" in page
    assert "<strong>mail.runbox.example</strong>" in page and "in 4 days" in page
