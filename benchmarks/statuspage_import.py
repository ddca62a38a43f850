"""Benchmark the Statuspage importer: `python -m benchmarks.statuspage_import [--quick]`.

For each size (1,000 and 5,000 incidents; --quick: 100 and 500) a Statuspage v2 export is
generated (components.json: 9 components in 3 groups; incidents.json: incidents of 2-5
updates with 1-3 affected components and their old/new statuses, over ten years;
scheduled-maintenances.json: one window per 50 incidents, four updates each) into a
throwaway folder, a fresh SQLite database is migrated in one process, and
`manage.py import_statuspage` runs in another, so its peak resident memory (ru_maxrss of
that child) is the import's own. The goal: 5,000 incidents in at most 30 s, and memory flat
between the sizes (the lists are read item by item). The machine's load average is recorded
beside each run. Results go to out/statuspage-import-<time>.json and (without --quick) the
"Statuspage import" part of README.md.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.child import run_module  # noqa: E402
from benchmarks.import_runs import ImportBenchmark, measure_import  # noqa: E402

PAGE = {"id": "bench0page00", "name": "Bench", "url": "https://status.example", "time_zone": "UTC"}
STATUSES = ["degraded_performance", "partial_outage", "major_outage"]
# Reads the child's own peak after the import (ru_maxrss: KiB on Linux).
MEASURE = """
import resource, sys, time
import django
django.setup()
from pathlib import Path
from importers.imports import import_statuspage
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started, cpu = time.perf_counter(), time.process_time()
report = import_statuspage([Path(sys.argv[1])])
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import json
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_before_kib": before,
                  "rss_peak_kib": peak, "summary": report.summary()}))
"""


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _components() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for g in range(3):
        group_id = f"group{g:07d}"
        members = [f"comp{g}{c:07d}" for c in range(3)]
        rows.append(
            {
                "id": group_id,
                "name": f"Group {g}",
                "status": "operational",
                "position": g + 1,
                "group": True,
                "group_id": None,
                "components": members,
                "description": None,
                "showcase": False,
            }
        )
        rows += [
            {
                "id": member,
                "name": f"Service {g}.{c}",
                "status": "operational",
                "position": c + 1,
                "group": False,
                "group_id": group_id,
                "description": None,
                "showcase": True,
                "only_show_if_degraded": False,
            }
            for c, member in enumerate(members)
        ]
    return rows


def _incident(n: int, start: datetime, rng: random.Random, members: list[str]) -> dict[str, Any]:
    affected = rng.sample(members, rng.randint(1, 3))
    steps = ["investigating", *rng.sample(["identified", "monitoring"], rng.randint(0, 2))]
    steps += ["investigating"] * (rng.randint(2, 5) - len(steps) - 1) + ["resolved"]
    worst = {code: rng.choice(STATUSES) for code in affected}
    updates, at = [], start
    current = dict.fromkeys(affected, "operational")
    for i, status in enumerate(steps):
        new = {c: ("operational" if status == "resolved" else worst[c]) for c in affected}
        updates.append(
            {
                "id": f"u{n:06d}{i}",
                "status": status,
                "incident_id": f"i{n:07d}",
                "body": f"Update {i + 1} of incident {n}: {status}. " + "Details. " * 20,
                "created_at": _time(at),
                "updated_at": _time(at),
                "display_at": _time(at),
                "affected_components": [
                    {"code": c, "name": c, "old_status": current[c], "new_status": new[c]}
                    for c in affected
                ],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        )
        current = new
        at += timedelta(minutes=rng.randint(5, 90))
    return {
        "id": f"i{n:07d}",
        "name": f"Incident {n}",
        "status": "resolved",
        "created_at": _time(start),
        "updated_at": _time(at),
        "impact": rng.choice(["minor", "major", "critical"]),
        "started_at": _time(start),
        "page_id": PAGE["id"],
        "incident_updates": list(reversed(updates)),
        "components": [{"id": c} for c in affected],
        "scheduled_for": None,
    }


def _window(n: int, start: datetime) -> dict[str, Any]:
    steps = [
        ("scheduled", -timedelta(days=3)),
        ("in_progress", timedelta(0)),
        ("verifying", timedelta(minutes=40)),
        ("completed", timedelta(minutes=55)),
    ]
    return {
        "id": f"m{n:07d}",
        "name": f"Maintenance {n}",
        "status": "completed",
        "created_at": _time(start - timedelta(days=3)),
        "impact": "maintenance",
        "scheduled_for": _time(start),
        "scheduled_until": _time(start + timedelta(hours=1)),
        "components": [{"id": "comp00000000"}],
        "page_id": PAGE["id"],
        "incident_updates": [
            {
                "id": f"w{n:06d}{i}",
                "status": status,
                "body": f"Window {n}: {status}.",
                "created_at": _time(start + shift),
                "display_at": _time(start + shift),
                "affected_components": None,
            }
            for i, (status, shift) in enumerate(reversed(steps))
        ],
    }


def generate(folder: Path, incidents: int, seed: int = 19) -> None:
    """A Statuspage export of `incidents` incidents, written item by item."""
    rng = random.Random(seed)
    components = _components()
    members = [c["id"] for c in components if not c["group"]]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "components.json").write_text(json.dumps({"page": PAGE, "components": components}))
    first = datetime(2016, 1, 1, tzinfo=UTC)
    step = timedelta(days=3650) / incidents
    with (folder / "incidents.json").open("w") as out:
        out.write(json.dumps({"page": PAGE})[:-1] + ', "incidents": [')
        for n in reversed(range(incidents)):  # newest first, as Statuspage lists them
            out.write(json.dumps(_incident(n, first + step * n, rng, members)))
            out.write("," if n else "")
        out.write("]}")
    windows = [_window(n, first + step * n * 50) for n in range(max(1, incidents // 50))]
    (folder / "scheduled-maintenances.json").write_text(
        json.dumps({"page": PAGE, "scheduled_maintenances": windows})
    )


def measure(incidents: int, workdir: Path) -> dict[str, Any]:
    folder = workdir / f"export-{incidents}"
    generate(folder, incidents)
    figures = measure_import(MEASURE, folder, workdir / f"var-{incidents}", timeout=900)
    figures.update(
        incidents=incidents, export_bytes=sum(p.stat().st_size for p in folder.iterdir())
    )
    return figures


def section(results: dict[str, Any]) -> str:
    runs = results["runs"]
    lines = [
        "### Statuspage import",
        "",
        f"{results['date']} · nproc {results['nproc']} · Python {results['python']} · "
        "SQLite, one transaction, `benchmarks/statuspage_import.py`",
        "",
        "| incidents | export | import (wall) | CPU | per incident (wall) | peak RSS (child) "
        "| load before/after |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        lines.append(
            f"| {run['incidents']:,} | {run['export_bytes'] / 1e6:.1f} MB | "
            f"{run['seconds']:.1f} s | {run['cpu_seconds']:.1f} s | "
            f"{run['seconds'] / run['incidents'] * 1000:.2f} ms | "
            f"{run['rss_peak_kib'] / 1024:.0f} MiB | {run['load_before'][0]} / "
            f"{run['load_after'][0]} |"
        )
    small, large = runs[0], runs[-1]
    growth = (large["rss_peak_kib"] - small["rss_peak_kib"]) / 1024
    lines += [
        "",
        f"Peak memory grows {growth:+.0f} MiB from {small['incidents']:,} to "
        f"{large['incidents']:,} incidents while the export grows "
        f"{(large['export_bytes'] - small['export_bytes']) / 1e6:.0f} MB: the lists are read "
        "item by item (ijson), so memory follows one incident, not the file.",
    ]
    return "\n".join(lines)


def in_child(workdir: Path, quick: bool, timeout: float = 1800) -> dict[str, Any]:
    """For run.py: this benchmark in a fresh process."""
    return run_module("statuspage_import", workdir / "import-results.json", quick, timeout)


BENCHMARK = ImportBenchmark(
    "statuspage-import",
    "incidents",
    quick_sizes=(100, 500),
    sizes=(1000, 5000),
    measure=measure,
    section=section,
)
START, END = BENCHMARK.markers


def main(argv: list[str] | None = None) -> int:
    return BENCHMARK.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
