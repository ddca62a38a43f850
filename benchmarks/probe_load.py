"""1,000 probes at a 60 s interval against local servers: one worker's CPU share and lateness.

One process plays one probe worker: every PROBE_TICK_SECONDS it runs what the `probes.run_due`
task runs (claim the location's due runs, start each at its due time, write the results, send
the signal), on a fresh SQLite database. Half the probes are SMTP (banner, EHLO, QUIT) and half
plain TCP, all against Postfix's smtp-sink on loopback. The first interval is the start-up
burst (every probe is overdue once); the measured window follows it. CPU share: this
process's user + system time over the window's wall time. Lateness: a run's start minus its
due time. Run: python -m benchmarks.probe_load [--probes 1000] [--seconds 120] [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT_MARK = "probe-load-result: "
LOCATION = "bench"


def _percentile(values: list[float], percent: float) -> float:
    """Nearest rank, as the hourly rollups count it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1] if ordered else 0.0


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def measure(probes: int, interval: int, seconds: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="probe-bench-"))
    os.environ.update(
        VAR_DIR=str(workdir),
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        PROBE_LOCATION=LOCATION,
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    from django.conf import settings

    from incidents.models import Component, Probe
    from probes.batch import run_due_probes
    from tests.servers.smtp import SmtpSink

    with SmtpSink(workdir / "sink", backlog=2000) as sink:
        component = Component.objects.create(name="Mail")
        Probe.objects.bulk_create(
            Probe(
                component=component, name=f"probe {n}", host="127.0.0.1", port=sink.port,
                kind="smtp" if n % 2 else "tcp", tls="none", interval_seconds=interval,
                timeout_seconds=10, retries=0,
            )
            for n in range(probes)
        )  # fmt: skip
        tick = float(settings.PROBE_TICK_SECONDS)

        def run_ticks(until: float) -> list[Any]:
            ran = []
            next_tick = time.time()
            while next_tick < until:
                time.sleep(max(0.0, next_tick - time.time()))
                ran += run_due_probes(LOCATION)
                next_tick += tick
            return ran

        burst = run_ticks(time.time() + interval)  # every probe overdue once, then in step
        cpu, busy, wall = _cpu_seconds(), _machine_busy(), time.monotonic()
        measured = run_ticks(time.time() + seconds)
        cpu = _cpu_seconds() - cpu
        wall = time.monotonic() - wall
        busy_after = _machine_busy()
    late = [r.lateness for r in measured]
    machine = (busy_after[0] - busy[0]) / max(1, busy_after[1] - busy[1]) * os.cpu_count()
    return {
        "probes": probes,
        "interval_seconds": interval,
        "tick_seconds": tick,
        "measured_seconds": round(wall, 1),
        "runs": len(measured),
        "runs_expected": round(probes * wall / interval),
        "failures": sum(1 for r in measured if not r.outcome.ok),
        "errors": sorted({r.outcome.error for r in measured if not r.outcome.ok})[:5],
        "cpu_share_of_a_core": round(cpu / wall, 4),
        "late_median_s": round(statistics.median(late), 3) if late else None,
        "late_p95_s": round(_percentile(late, 95), 3),
        "late_max_s": round(max(late), 3) if late else None,
        "run_ms_median": round(statistics.median(r.outcome.duration_ms for r in measured), 2),
        "burst_runs": len(burst),
        "machine_cores_busy": round(machine, 2),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def _tree_cpu_seconds(pid: int) -> float:
    """User + system time of a process and every descendant it has now."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    family, found = {pid}, True
    while found:
        found = False
        for child, (parent, _) in stats.items():
            if parent in family and child not in family:
                family.add(child)
                found = True
    return sum(stats[p][1] for p in family if p in stats) / os.sysconf("SC_CLK_TCK")


def _window_from_rows(since: float, until: float) -> tuple[list[float], list[str]]:
    """In the window: each result's start minus the due time of the claim it ran for, and
    the errors of those that failed (from the database)."""
    import bisect
    from collections import defaultdict

    from incidents.models import ProbeClaim, ProbeResult

    dues: dict[int, list[float]] = defaultdict(list)
    for probe_id, due in ProbeClaim.objects.filter(location=LOCATION).values_list(
        "probe_id", "due_at"
    ):
        dues[probe_id].append(due.timestamp())
    for times in dues.values():
        times.sort()
    late, errors = [], []
    for probe_id, started, error in ProbeResult.objects.filter(location=LOCATION).values_list(
        "probe_id", "started_at", "error"
    ):
        start = started.timestamp()
        if since <= start < until:
            times = dues[probe_id]
            due = times[max(0, bisect.bisect_right(times, start + 0.001) - 1)]
            late.append(max(0.0, start - due))
            errors += [error] if error else []
    return late, errors


def measure_celery(probes: int, interval: int, seconds: int, idle: int) -> dict[str, Any]:
    """The same load through a real Celery worker with beat, as `manage.py serve` starts it."""
    workdir = Path(tempfile.mkdtemp(prefix="probe-bench-celery-"))
    os.environ.update(
        VAR_DIR=str(workdir),
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{workdir / 'broker.sqlite'}",
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        PROBE_LOCATION=LOCATION,
        PROBE_LOCATIONS=LOCATION,
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    from incidents.management.commands.serve import WORKER_QUEUES
    from incidents.models import Component, Probe
    from tests.servers.smtp import SmtpSink

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "statuspage", "worker", "--beat",
         "--schedule", str(workdir / "beat-schedule"), "--queues",
         f"{WORKER_QUEUES},probes.{LOCATION}", "--concurrency", "3", "--loglevel", "WARNING"],
        cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        with SmtpSink(workdir / "sink", backlog=2000) as sink:
            time.sleep(10)  # the worker and beat start
            cpu, wall = _tree_cpu_seconds(worker.pid), time.monotonic()
            time.sleep(idle)
            idle_share = (_tree_cpu_seconds(worker.pid) - cpu) / (time.monotonic() - wall)
            component = Component.objects.create(name="Mail")
            Probe.objects.bulk_create(
                Probe(
                    component=component, name=f"probe {n}", host="127.0.0.1", port=sink.port,
                    kind="smtp" if n % 2 else "tcp", tls="none", interval_seconds=interval,
                    timeout_seconds=10, retries=0,
                )
                for n in range(probes)
            )  # fmt: skip
            time.sleep(interval)  # the start-up burst
            since, cpu, wall = time.time(), _tree_cpu_seconds(worker.pid), time.monotonic()
            time.sleep(seconds)
            cpu = _tree_cpu_seconds(worker.pid) - cpu
            wall = time.monotonic() - wall
            until = time.time()
            time.sleep(10)  # the last batch writes its results
    finally:
        worker.terminate()
        worker.wait(60)
    late, errors = _window_from_rows(since, until)
    return {
        "probes": probes,
        "interval_seconds": interval,
        "measured_seconds": round(wall, 1),
        "runs": len(late),
        "runs_expected": round(probes * wall / interval),
        "failures": len(errors),
        "errors": sorted(set(errors))[:5],
        "idle_worker_share_of_a_core": round(idle_share, 4),
        "cpu_share_of_a_core": round(cpu / wall, 4),
        "late_median_s": round(statistics.median(late), 3) if late else None,
        "late_p95_s": round(_percentile(late, 95), 3),
        "late_max_s": round(max(late), 3) if late else None,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def in_child(quick: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.probe_load"]
    if quick:
        command += ["--probes", "200", "--interval", "20", "--seconds", "20"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return dict(json.loads(line.removeprefix(RESULT_MARK)))
    return {"skipped": f"benchmarks.probe_load failed: {done.stderr[-500:]}"}


def summary(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"probes: {result['skipped']}"
    return (
        f"probes: {result['probes']} at {result['interval_seconds']} s, "
        f"{result['runs']} runs in {result['measured_seconds']} s "
        f"({result['failures']} failed): one worker used "
        f"{result['cpu_share_of_a_core'] * 100:.1f}% of a core; started late by "
        f"{result['late_median_s']} s median, {result['late_p95_s']} s p95; "
        f"loadavg {' '.join(result['loadavg'])}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=120, help="measured, after one interval")
    parser.add_argument(
        "--celery", action="store_true", help="through a real worker with beat (and its idle)"
    )
    parser.add_argument("--idle", type=int, default=30, help="--celery: idle seconds measured")
    opts = parser.parse_args(argv)
    if opts.celery:
        result = measure_celery(opts.probes, opts.interval, opts.seconds, opts.idle)
        print(json.dumps(result, indent=2), flush=True)
        return 0
    result = measure(opts.probes, opts.interval, opts.seconds)
    print(json.dumps(result, indent=2))
    print(summary(result))
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
