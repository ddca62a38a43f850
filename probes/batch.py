"""Run a batch of claimed probe runs concurrently, record what they saw, tell the receivers."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings

from incidents.models import ProbeResult
from probes.runners import run_probe
from probes.schedule import ClaimedRun, claim_due_runs
from probes.signals import results_recorded
from probes.spec import Outcome, RunOptions

logger = logging.getLogger(__name__)
T = TypeVar("T")


def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the coroutine on a loop of its own, even when this thread already runs one.

    A worker process has no loop; code that calls in from inside one (an async server, a
    test session driving a browser) must not be told "asyncio.run() cannot be called from
    a running event loop", so the batch then gets a thread and a loop to itself.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass(frozen=True)
class Ran:
    run: ClaimedRun
    started_at: datetime
    outcome: Outcome

    @property
    def lateness(self) -> float:
        """Seconds between the run's due time and its start (0 if it started early)."""
        return max(0.0, (self.started_at - self.run.due_at).total_seconds())


def run_options() -> RunOptions:
    return RunOptions(
        ca_file=settings.PROBE_CA_FILE,
        login_password_file=settings.PROBE_LOGIN_PASSWORD_FILE,
        dns_resolver=settings.PROBE_DNS_RESOLVER,
        source_address=settings.PROBE_SOURCE_ADDRESS,
        body_bytes=settings.PROBE_BODY_BYTES,
    )


def run_due_probes(location: str, *, now: datetime | None = None) -> list[Ran]:
    """Claim this location's runs due within the next tick, run them, record the results."""
    window = float(settings.PROBE_TICK_SECONDS)
    runs = claim_due_runs(location, now or datetime.now(UTC), window)
    if not runs:
        return []
    ran = run_to_completion(run_batch(runs, run_options(), settings.PROBE_CONCURRENCY))
    record(location, ran)
    return ran


def batch_bound(runs: list[ClaimedRun], now: float, concurrency: int) -> float:
    """Seconds the whole batch may take: to the last due time, then the slowest run's every
    try for each round of `concurrency` runs (all of them hanging is the worst case)."""
    last_due = max(run.due_at.timestamp() for run in runs)
    slowest = max(run.spec.timeout_seconds * (1 + run.spec.retries) for run in runs)
    rounds = math.ceil(len(runs) / concurrency)
    return max(0.0, last_due - now) + slowest * rounds + 1.0


async def run_batch(runs: list[ClaimedRun], options: RunOptions, concurrency: int) -> list[Ran]:
    """Start each run at its due time, at most `concurrency` at once, within a bound."""
    slots = asyncio.Semaphore(concurrency)
    done: list[Ran] = []

    async def one(run: ClaimedRun) -> None:
        await asyncio.sleep(max(0.0, run.due_at.timestamp() - time.time()))
        async with slots:
            started_at = datetime.now(UTC)
            outcome = await run_probe(run.spec, options)
        done.append(Ran(run, started_at, outcome))

    tasks = [asyncio.create_task(one(run)) for run in runs]
    _, late = await asyncio.wait(tasks, timeout=batch_bound(runs, time.time(), concurrency))
    for task in late:
        task.cancel()
    if late:
        # Not recorded: a run that never finished says nothing about the target.
        logger.warning("Probe batch: %d of %d runs did not finish in time", len(late), len(runs))
    return done


def record(location: str, ran: list[Ran]) -> None:
    ProbeResult.objects.bulk_create(
        [
            ProbeResult(
                probe_id=r.run.spec.id,
                location=location,
                started_at=r.started_at,
                ok=r.outcome.ok,
                duration_ms=round(r.outcome.duration_ms, 2),
                error=r.outcome.error,
                cert_expires_at=r.outcome.cert_expires_at,
            )
            for r in ran
        ],
        batch_size=500,
    )
    probe_ids = sorted({r.run.spec.id for r in ran})
    for receiver, response in results_recorded.send_robust(
        sender=ProbeResult, probe_ids=probe_ids, location=location
    ):
        if isinstance(response, Exception):
            logger.error("results_recorded receiver %r failed", receiver, exc_info=response)
