"""Staff hear of probes: an alert that opened, a certificate about to expire.

An alert is told once: one mail to each active staff account with an address and, when
STAFF_ALERT_WEBHOOK_URL is set, one JSON POST there. The alert is claimed (staff_told_at)
before it is sent and released only when nothing got through, so the next tick retries
without telling twice. A certificate warning is one mail per probe per certificate (known
by its expiry), recorded in the audit log. Failures are logged, never raised.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import actions.probes
from console.accounts import alert_recipients
from console.alerts import post_to_staff_webhook
from incidents import timefmt
from incidents.links import absolute
from incidents.models import ProbeAlert
from notifier.mail_headers import one_off_mail
from probes.certificates import ExpiringCertificate, expiring_certificates
from probes.evidence import evidence_of, target_text

logger = logging.getLogger(__name__)


def tell_staff(now: datetime | None = None) -> int:
    """Tell staff of new alerts and expiring certificates; returns how many were told."""
    now = now or timezone.now()
    return alert_probe_failures(now) + warn_expiring_certificates(now)


def alert_probe_failures(now: datetime) -> int:
    told = 0
    untold = ProbeAlert.objects.filter(closed_at__isnull=True, staff_told_at__isnull=True)
    for alert in untold.select_related("probe__component").order_by("opened_at", "pk"):
        if (
            ProbeAlert.objects.filter(pk=alert.pk, staff_told_at__isnull=True).update(
                staff_told_at=now
            )
            != 1
        ):
            continue  # another tick is telling it
        if _send_alert(alert):
            told += 1
        else:
            ProbeAlert.objects.filter(pk=alert.pk).update(staff_told_at=None)
    return told


def _send_alert(alert: ProbeAlert) -> bool:
    """True when the mail or the webhook got through."""
    context = _alert_context(alert)
    routes = [("mail", _mail_alert)]
    if settings.STAFF_ALERT_WEBHOOK_URL:
        routes.append(("webhook", _post_alert))
    through = False
    for route, send in routes:
        try:
            send(alert, context)
        except Exception:
            logger.exception("Probe alert %s (%s) failed", alert.pk, route)
        else:
            through = True
    return through


def _alert_context(alert: ProbeAlert) -> dict[str, Any]:
    probe = alert.probe
    return {
        "site_name": settings.SITE_NAME,
        "probe": probe,
        "target": target_text(probe),
        "failing": evidence_of(alert),
        "opened": timefmt.stamp(alert.opened_at),
        "set_status": alert.set_status,
        "dashboard_url": absolute(reverse("console:dashboard")),
        "incident_url": absolute(f"{reverse('console:incident_new')}?alert={alert.pk}"),
    }


def _mail_to_staff(template: str, context: dict[str, Any]) -> None:
    recipients = list(alert_recipients().values_list("email", flat=True))
    if not recipients:
        return
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    body = render_to_string(f"emails/{template}-body.txt", context)
    # One message per address: staff need not see each other's addresses.
    messages = [one_off_mail(subject, body, address) for address in recipients]
    get_connection(fail_silently=False).send_messages(messages)


def _mail_alert(alert: ProbeAlert, context: dict[str, Any]) -> None:
    _mail_to_staff("probe-alert", context)


def alert_webhook_payload(alert: ProbeAlert, context: dict[str, Any]) -> dict[str, Any]:
    probe = alert.probe
    failing = context["failing"]
    places = ", ".join(f"{row.location} since {row.since_text}" for row in failing)
    return {
        "event": "probe.alert_opened",
        "probe": {
            "id": probe.pk,
            "name": probe.name,
            "kind": probe.kind,
            "target": context["target"],
            "component": probe.component.name,
        },
        "opened_at": timefmt.iso_utc(alert.opened_at),
        "failing": [
            {
                "location": row.location,
                "since": timefmt.iso_utc(row.since),
                "error": row.error,
                "failures": row.failures,
            }
            for row in failing
        ],
        "component_status_set": alert.set_status,
        "console_url": context["dashboard_url"],
        "open_incident_url": context["incident_url"],
        "text": f"{probe.component.name}: {context['target']} failing from {places}.",
    }


def _post_alert(alert: ProbeAlert, context: dict[str, Any]) -> None:
    post_to_staff_webhook(alert_webhook_payload(alert, context))


def warn_expiring_certificates(now: datetime) -> int:
    warned = 0
    for certificate in expiring_certificates(now):
        entry = actions.probes.claim_certificate_warning(certificate.probe, certificate.expires_at)
        if entry is None:
            continue
        try:
            _mail_certificate(certificate)
        except Exception:
            logger.exception("Certificate warning for probe %s failed", certificate.probe.pk)
            actions.probes.release_certificate_warning(entry)
        else:
            warned += 1
    return warned


def _mail_certificate(certificate: ExpiringCertificate) -> None:
    probe = certificate.probe
    context = {
        "site_name": settings.SITE_NAME,
        "probe": probe,
        "target": target_text(probe),
        "certificate": certificate,
        "probes_url": absolute(reverse("console:probes")),
    }
    _mail_to_staff("certificate-expiring", context)
