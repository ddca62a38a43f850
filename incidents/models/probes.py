"""Checks that watch a component from outside, what they saw, and the alerts they raise.

The probes themselves run in `probes/` on the workers; here is only what they record,
so the public component page can show response times without knowing how they are taken.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from incidents.models.components import Component, ComponentStatus
from incidents.models.incidents import Incident


class ProbeKind(models.TextChoices):
    HTTPS = "https", "HTTPS"
    SMTP = "smtp", "SMTP"
    IMAP = "imap", "IMAP"
    POP = "pop", "POP3"
    DNS = "dns", "DNS"
    TCP = "tcp", "TCP"


class TlsMode(models.TextChoices):
    NONE = "none", "No TLS"
    IMPLICIT = "implicit", "TLS from the first byte (HTTPS, 465, 993, 995)"
    STARTTLS = "starttls", "STARTTLS"


class DnsRecordType(models.TextChoices):
    A = "A", "A"
    AAAA = "AAAA", "AAAA"
    MX = "MX", "MX"


class ProbeQuerySet(models.QuerySet["Probe"]):
    def enabled(self) -> ProbeQuerySet:
        return self.filter(enabled=True)


class Probe(models.Model):
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="probes")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ProbeKind.choices)
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    tls = models.CharField(max_length=10, choices=TlsMode.choices, default=TlsMode.IMPLICIT)
    # HTTPS: the path, the status expected and a text the body must contain;
    # SMTP, IMAP, POP: a text the greeting must contain.
    path = models.CharField(max_length=500, blank=True, default="/")
    expected_status = models.PositiveSmallIntegerField(null=True, blank=True)
    expected_text = models.CharField(max_length=200, blank=True)
    # DNS: the record asked for and the values it must resolve to (one per line).
    record_type = models.CharField(max_length=5, choices=DnsRecordType.choices, blank=True)
    expected_values = models.TextField(blank=True)
    # IMAP and POP: log in as this test account; its password comes from a *_FILE setting.
    login_user = models.CharField(max_length=200, blank=True)
    interval_seconds = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(10), MaxValueValidator(86400)]
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    retries = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(5)])
    # A failure may set the component's status by itself (set back on recovery); subscribers
    # are never told without a person.
    sets_component_status = models.BooleanField(default=False)
    status_on_failure = models.CharField(
        max_length=30, choices=ComponentStatus.choices, default=ComponentStatus.MAJOR_OUTAGE
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProbeQuerySet.as_manager()

    class Meta:
        ordering = ["component", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class ProbeResult(models.Model):
    """One attempt of a probe from one location; kept raw for 48 hours."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="results")
    location = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    ok = models.BooleanField()
    duration_ms = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    cert_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["probe", "location", "-started_at"])]

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"failed: {self.error}"
        return f"{self.probe_id} from {self.location}, {self.started_at:%Y-%m-%d %H:%M}: {outcome}"


class ProbeHour(models.Model):
    """A probe's results from one location rolled up per hour (UTC); kept for a year."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="hours")
    location = models.CharField(max_length=64)
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    median_ms = models.FloatField(null=True, blank=True)
    p95_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["probe", "location", "hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["probe", "location", "hour"], name="one_probe_hour_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.probe_id} from {self.location}, {self.hour:%Y-%m-%d %H}:00 UTC"


class ProbeAlert(models.Model):
    """A probe failing from enough locations: shown to staff until it recovers."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="alerts")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # {location: {"since": iso, "error": "..."}} as seen when the alert last changed.
    evidence = models.JSONField(default=dict, blank=True)
    # Whether the probe set the component's status (so recovery sets it back).
    set_status = models.BooleanField(default=False)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["probe"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_alert_per_probe",
            )
        ]

    def __str__(self) -> str:
        state = "open" if self.closed_at is None else "closed"
        return f"{self.probe_id} alert since {self.opened_at:%Y-%m-%d %H:%M} ({state})"


class ProbeClaim(models.Model):
    """One location's claim on one run of a probe: the row whose insert wins runs it.

    A probe's runs fall on fixed times (`due_at`, one per interval); the unique constraint
    makes the insert the lock, so however many workers share a location, one of them runs
    each slot. Kept a day, then pruned with the raw results' sweep.
    """

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="claims")
    location = models.CharField(max_length=64)
    due_at = models.DateTimeField()
    # Which worker's batch won the insert (a random token per batch).
    claimed_by = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["probe", "location", "due_at"], name="one_claim_per_probe_slot"
            )
        ]
        indexes = [models.Index(fields=["location", "due_at"])]

    def __str__(self) -> str:
        return f"{self.probe_id} from {self.location} due {self.due_at:%Y-%m-%d %H:%M:%S}"
