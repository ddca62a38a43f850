"""Slots, claims and locations: a probe runs once per interval per location, and each
location records what it saw from where it stands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from incidents.models import Probe, ProbeClaim, ProbeResult
from probes.batch import run_batch, run_due_probes, run_to_completion
from probes.schedule import ClaimedRun, claim_due_runs, latest_due, phase_seconds
from probes.signals import results_recorded
from probes.spec import ProbeSpec, RunOptions
from tests.factories import make_component
from tests.probes.faults import FaultServer, greets

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def make_probe(port: int, **fields: object) -> Probe:
    defaults: dict[str, object] = {
        "name": f"TCP {port}",
        "kind": "tcp",
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "interval_seconds": 60,
        "timeout_seconds": 2,
        "retries": 0,
    }
    return Probe.objects.create(component=make_component(), **{**defaults, **fields})


def test_a_probes_runs_fall_on_its_phase_one_interval_apart():
    moment = datetime(2026, 12, 6, 4, 0, 30, tzinfo=UTC)
    due = latest_due(7, 60, moment)

    assert due <= moment < due + timedelta(seconds=60)
    assert due.timestamp() % 60 == pytest.approx(phase_seconds(7, 60))
    assert latest_due(7, 60, due + timedelta(seconds=59.9)) == due
    # Neighbouring probes start at different moments of the minute.
    assert len({phase_seconds(n, 60) for n in range(1, 61)}) > 50


def test_a_slot_is_claimed_once_and_a_second_tick_finds_it_taken():
    probe = make_probe(9)
    now = datetime.now(UTC)

    first = claim_due_runs("oslo", now, window=5)
    again = claim_due_runs("oslo", now, window=5)
    elsewhere = claim_due_runs("frankfurt", now, window=5)

    assert [run.spec.id for run in first] == [probe.pk]
    assert again == []
    assert [run.spec.id for run in elsewhere] == [probe.pk]
    assert ProbeClaim.objects.filter(probe=probe).count() == 2


def test_a_disabled_probe_is_never_claimed():
    make_probe(9, enabled=False)

    assert claim_due_runs("oslo", datetime.now(UTC), window=5) == []


def test_each_run_starts_at_its_due_time_not_before():
    with FaultServer(greets(b"hello\r\n")) as server:
        spec = ProbeSpec(id=1, kind="tcp", host="127.0.0.1", port=server.port, tls="none")
        due = datetime.now(UTC) + timedelta(seconds=0.3)
        ran = run_to_completion(run_batch([ClaimedRun(spec, due)], RunOptions(), concurrency=10))

    assert ran[0].outcome.ok
    assert due <= ran[0].started_at < due + timedelta(seconds=0.2)


def accept_only_from(address: str):
    async def handler(reader, writer):
        if writer.get_extra_info("peername")[0] == address:
            writer.write(b"220 reachable\r\n")
            await writer.drain()
        await reader.read()

    return handler


def test_two_locations_record_their_own_view_when_only_one_reaches_the_target():
    seen: list[tuple[list[int], str]] = []

    def receiver(sender, probe_ids, location, **kwargs):
        seen.append((probe_ids, location))

    results_recorded.connect(receiver)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)  # every slot already due: no waiting
    try:
        with FaultServer(accept_only_from("127.0.0.2")) as server:
            probe = make_probe(server.port, expected_text="220", timeout_seconds=1)
            with override_settings(PROBE_LOCATION="oslo", PROBE_SOURCE_ADDRESS="127.0.0.2"):
                run_due_probes("oslo", now=an_hour_ago)
            with override_settings(PROBE_LOCATION="frankfurt", PROBE_SOURCE_ADDRESS="127.0.0.3"):
                run_due_probes("frankfurt", now=an_hour_ago)
    finally:
        results_recorded.disconnect(receiver)

    results = {r.location: r for r in ProbeResult.objects.filter(probe=probe)}
    assert results["oslo"].ok
    assert not results["frankfurt"].ok
    assert results["frankfurt"].error == "no greeting within 1 s"
    assert sorted(server.peers) == ["127.0.0.2", "127.0.0.3"]
    assert seen == [([probe.pk], "oslo"), ([probe.pk], "frankfurt")]


def test_a_failing_receiver_does_not_lose_the_results_or_stop_the_others():
    calls = []

    def broken(sender, **kwargs):
        raise RuntimeError("alerts are down")

    def working(sender, probe_ids, **kwargs):
        calls.append(probe_ids)

    results_recorded.connect(broken)
    results_recorded.connect(working)
    try:
        with FaultServer(greets(b"220 ok\r\n")) as server:
            probe = make_probe(server.port)
            run_due_probes("oslo", now=datetime.now(UTC) - timedelta(hours=1))
    finally:
        results_recorded.disconnect(broken)
        results_recorded.disconnect(working)

    assert ProbeResult.objects.filter(probe=probe, ok=True).count() == 1
    assert calls == [[probe.pk]]


def test_a_batch_runs_when_the_calling_thread_already_runs_an_event_loop():
    # As under a test session driving a browser, or an async server calling in.
    async def caller() -> list:
        with FaultServer(greets(b"hello\r\n")) as server:
            spec = ProbeSpec(id=1, kind="tcp", host="127.0.0.1", port=server.port, tls="none")
            due = datetime.now(UTC)
            return run_to_completion(run_batch([ClaimedRun(spec, due)], RunOptions(), 10))

    ran = asyncio.run(caller())

    assert ran[0].outcome.ok
