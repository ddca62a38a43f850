"""What an alert keeps as evidence, and how it reads to staff: what failed, from where, since
when, with which error. Stored as JSON on the alert ({location: {...}}), read back here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidents import timefmt
from incidents.models import ComponentStatus, Impact, Probe, ProbeAlert, ProbeKind


@dataclass(frozen=True)
class Failing:
    """One location failing a probe in a row."""

    location: str
    since: datetime  # the first failure after its last success
    last_at: datetime
    error: str
    failures: int

    def as_json(self) -> dict[str, Any]:
        return {
            "since": timefmt.iso_utc(self.since),
            "last_at": timefmt.iso_utc(self.last_at),
            "error": self.error,
            "failures": self.failures,
        }

    @classmethod
    def from_json(cls, location: str, data: dict[str, Any]) -> Failing:
        return cls(
            location=location,
            since=datetime.fromisoformat(data["since"]),
            last_at=datetime.fromisoformat(data["last_at"]),
            error=str(data.get("error", "")),
            failures=int(data.get("failures", 0)),
        )

    @property
    def since_text(self) -> str:
        return timefmt.stamp(self.since)


def evidence_json(failing: list[Failing]) -> dict[str, Any]:
    return {row.location: row.as_json() for row in failing}


def evidence_of(alert: ProbeAlert) -> list[Failing]:
    """The alert's failing locations, the longest failing first."""
    rows = [Failing.from_json(location, data) for location, data in alert.evidence.items()]
    return sorted(rows, key=lambda row: (row.since, row.location))


def target_text(probe: Probe) -> str:
    """'IMAP check of mail.runbox.com:993', 'DNS MX check of runbox.com'."""
    if probe.kind == ProbeKind.DNS:
        return f"DNS {probe.record_type} check of {probe.host}"
    where = f"{probe.host}:{probe.port}" if probe.port else probe.host
    if probe.kind == ProbeKind.HTTPS:
        where = f"https://{where}{probe.path or '/'}"
    return f"{probe.get_kind_display()} check of {where}"


def draft_text(alert: ProbeAlert) -> str:
    """A first incident update naming what failed, from where and since when (zones shown)."""
    probe = alert.probe
    rows = evidence_of(alert)
    places = "; ".join(
        f"from {row.location} since {row.since_text}" + (f" ({row.error})" if row.error else "")
        for row in rows
    )
    return (
        f"We are investigating a problem with {probe.component.name}: our {target_text(probe)} "
        f"has been failing {places}. We will post an update as soon as we know more."
    )


# The impact an incident opened from an alert starts with, from the status the probe names.
IMPACT_FOR_STATUS: dict[str, str] = {
    ComponentStatus.MAJOR_OUTAGE: Impact.MAJOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MINOR,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
}


def incident_draft(alert: ProbeAlert) -> dict[str, Any]:
    """Initial values for the console's incident form, opened from the alert."""
    probe = alert.probe
    return {
        "title": f"{probe.component.name}: {probe.name} failing",
        "impact": IMPACT_FOR_STATUS.get(probe.status_on_failure, Impact.MINOR.value),
        "body": draft_text(alert),
        f"component_{probe.component_id}": probe.status_on_failure,
    }
