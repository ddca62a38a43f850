"""Hourly figures, pruning, and the beat tasks that hand each location its batch."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from incidents.models import ProbeClaim, ProbeHour, ProbeResult
from probes import tasks
from probes.rollup import prune, roll_up
from tests.probes.test_schedule import make_probe

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

NOW = datetime(2026, 12, 6, 10, 20, tzinfo=UTC)


def result(probe, at: datetime, ok: bool = True, ms: float | None = 10.0, where: str = "oslo"):
    return ProbeResult.objects.create(
        probe=probe, location=where, started_at=at, ok=ok, duration_ms=ms, error="" if ok else "x"
    )


def test_an_hour_rolls_up_count_failures_median_and_p95_of_the_successes():
    probe = make_probe(25)
    ten = NOW.replace(minute=0)
    for n in range(1, 21):  # 1..20 ms
        result(probe, ten + timedelta(minutes=n), ms=float(n))
    result(probe, ten + timedelta(minutes=30), ok=False, ms=5000.0)  # a timeout's time
    result(probe, ten - timedelta(minutes=30), ms=100.0)  # the hour before
    result(probe, ten + timedelta(minutes=5), ms=7.0, where="frankfurt")

    assert roll_up(NOW) == 3
    assert roll_up(NOW) == 3  # again: the same rows, updated, not doubled

    hour = ProbeHour.objects.get(probe=probe, location="oslo", hour=ten)
    assert (hour.count, hour.failures) == (21, 1)
    assert (hour.median_ms, hour.p95_ms) == (10.5, 19.0)
    before = ProbeHour.objects.get(probe=probe, location="oslo", hour=ten - timedelta(hours=1))
    assert (before.count, before.median_ms) == (1, 100.0)
    assert ProbeHour.objects.get(probe=probe, location="frankfurt").count == 1
    assert ProbeHour.objects.count() == 3


def test_an_hour_of_only_failures_has_no_response_times():
    probe = make_probe(25)
    result(probe, NOW, ok=False, ms=3000.0)

    roll_up(NOW)

    hour = ProbeHour.objects.get(probe=probe)
    assert (hour.count, hour.failures, hour.median_ms, hour.p95_ms) == (1, 1, None, None)


def test_raw_results_go_after_48_hours_and_hours_after_a_year():
    probe = make_probe(25)
    kept = result(probe, NOW - timedelta(hours=47))
    result(probe, NOW - timedelta(hours=49))
    ProbeHour.objects.create(probe=probe, location="oslo", hour=NOW - timedelta(days=364))
    ProbeHour.objects.create(probe=probe, location="oslo", hour=NOW - timedelta(days=366))
    ProbeClaim.objects.create(probe=probe, location="oslo", due_at=NOW - timedelta(days=2))

    assert prune(NOW) == {"results": 1, "hours": 1, "claims": 1}
    assert list(ProbeResult.objects.all()) == [kept]
    assert ProbeHour.objects.count() == 1


def test_the_tick_sends_each_location_its_batch_on_its_own_queue(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.run_due, "apply_async", lambda **options: sent.append(options))

    with override_settings(PROBE_LOCATIONS=["oslo", "frankfurt"], PROBE_TICK_SECONDS=5):
        assert tasks.tick() == 2

    assert sent == [
        {"args": ("oslo",), "queue": "probes.oslo", "expires": 5.0},
        {"args": ("frankfurt",), "queue": "probes.frankfurt", "expires": 5.0},
    ]


def test_a_batch_that_reaches_a_worker_of_another_location_is_not_run(caplog):
    make_probe(25)

    with override_settings(PROBE_LOCATION="frankfurt"), caplog.at_level(logging.WARNING):
        assert tasks.run_due("oslo") == 0

    assert ProbeClaim.objects.count() == 0
    assert "reached a worker at 'frankfurt'" in caplog.text
