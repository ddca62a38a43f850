"""When a probe's runs are due, and claiming them so each runs once per location.

A probe with interval I runs at fixed times `phase + n * I` (UTC seconds), its phase
spread from its id so a thousand probes at 60 s do not all start on the minute. A tick
looks `window` seconds ahead: it claims every slot due before the window's end that this
location has not claimed (a slot missed while no worker ran is run at once, late), and the
batch then starts each run at its due time.

Claiming is one INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike) of a
(probe, location, due_at) row under a unique constraint, tagged with a token of this batch;
the rows that carry our token afterwards are ours. However many workers share a location,
one of them runs each slot.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from incidents.models import Probe, ProbeClaim
from probes.spec import ProbeSpec

_SPREAD = 2654435761  # Knuth's multiplicative hash: neighbouring ids land far apart


@dataclass(frozen=True)
class ClaimedRun:
    spec: ProbeSpec
    due_at: datetime


def phase_seconds(probe_id: int, interval: int) -> float:
    return (probe_id * _SPREAD) % (interval * 1000) / 1000


def latest_due(probe_id: int, interval: int, before: datetime) -> datetime:
    """The last time this probe is due at or before `before`."""
    phase = phase_seconds(probe_id, interval)
    seconds = before.timestamp()
    due = phase + math.floor((seconds - phase) / interval) * interval
    return datetime.fromtimestamp(due, UTC)


def claim_due_runs(location: str, now: datetime, window: float) -> list[ClaimedRun]:
    """Claim this location's runs due before now + window; the ones this call won."""
    horizon = now + timedelta(seconds=window)
    probes = list(Probe.objects.enabled().order_by())
    if not probes:
        return []
    wanted = {p.pk: latest_due(p.pk, p.interval_seconds, horizon) for p in probes}
    longest = max(p.interval_seconds for p in probes)
    since = horizon - timedelta(seconds=longest + 1)
    already = set(
        ProbeClaim.objects.filter(location=location, due_at__gt=since).values_list(
            "probe_id", "due_at"
        )
    )
    token = uuid.uuid4().hex
    ProbeClaim.objects.bulk_create(
        [
            ProbeClaim(probe_id=pk, location=location, due_at=due, claimed_by=token)
            for pk, due in wanted.items()
            if (pk, due) not in already
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    won = set(
        ProbeClaim.objects.filter(
            location=location, due_at__gt=since, claimed_by=token
        ).values_list("probe_id", flat=True)
    )
    return [ClaimedRun(ProbeSpec.of(p), wanted[p.pk]) for p in probes if p.pk in won]
