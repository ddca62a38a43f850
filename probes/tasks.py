"""What beat ticks: hand each location its probe batch, and keep the hourly figures.

Every worker that runs probes consumes its location's own queue, `probes.<PROBE_LOCATION>`
(`manage.py serve` adds it), so one tick reaches one worker in each location, and the
claims make sure a second worker of the same location does not run the same slot. A tick
that waited longer than a tick expires unrun: the next one claims what it would have.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings

from probes import batch, rollup

logger = logging.getLogger(__name__)


def location_queue(location: str) -> str:
    return f"probes.{location}"


@shared_task(name="probes.tick")
def tick() -> int:
    """Send each location (PROBE_LOCATIONS) its batch; returns how many were sent."""
    seconds = float(settings.PROBE_TICK_SECONDS)
    for location in settings.PROBE_LOCATIONS:
        run_due.apply_async(args=(location,), queue=location_queue(location), expires=seconds)
    return len(settings.PROBE_LOCATIONS)


@shared_task(name="probes.run_due")
def run_due(location: str) -> int:
    """Run this worker's location's due probes; returns how many ran."""
    if location != settings.PROBE_LOCATION:
        logger.warning(
            "Probe batch for %r reached a worker at %r: not run (check its queues)",
            location,
            settings.PROBE_LOCATION,
        )
        return 0
    return len(batch.run_due_probes(location))


@shared_task(name="probes.roll_up")
def roll_up() -> dict[str, int]:
    """Recompute this and the last hour's figures, then prune what is past keeping."""
    now = datetime.now(UTC)
    return {"hours": rollup.roll_up(now), **rollup.prune(now)}
