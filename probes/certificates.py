"""Certificates about to expire, as the probes last saw them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from incidents import timefmt
from incidents.models import Probe, ProbeResult


@dataclass(frozen=True)
class ExpiringCertificate:
    probe: Probe
    expires_at: datetime

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def days_left(self) -> int:
        return max(0, (self.expires_at - timezone.now()).days)

    @property
    def expires_text(self) -> str:
        return timefmt.stamp(self.expires_at)


def expiring_certificates(now: datetime | None = None) -> list[ExpiringCertificate]:
    """Enabled probes whose latest certificate expires within PROBE_CERT_WARNING_DAYS."""
    now = now or timezone.now()
    seen = ProbeResult.objects.filter(probe=OuterRef("pk"), cert_expires_at__isnull=False)
    latest = seen.order_by("-started_at").values("cert_expires_at")[:1]
    horizon = now + timedelta(days=settings.PROBE_CERT_WARNING_DAYS)
    probes = (
        Probe.objects.enabled()
        .annotate(cert_expires_at=Subquery(latest))
        .filter(cert_expires_at__lte=horizon)
        .select_related("component")
        .order_by("cert_expires_at", "name")
    )
    # cert_expires_at is annotated above; the plugin cannot follow it.
    return [ExpiringCertificate(probe, probe.cert_expires_at) for probe in probes]  # type: ignore[attr-defined]
