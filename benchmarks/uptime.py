"""The status page with its 90-day uptime bars on the ten-year history, against today's page.

    python -m benchmarks.uptime            # full history, 150 renders of each, README untouched
    python -m benchmarks.uptime --quick    # 100 incidents, 10 renders

In one fresh process, on a throwaway SQLite database (VAR_DIR in a temporary folder,
DEBUG=false, STATIC_MANIFEST=false), with benchmarks/history.py's ten-year history and a
rolled-up day (`UptimeDay`) for every component and every day of those ten years:

- **with bars**: cold renders of `/` (fresh connection, every cache emptied, as after a
  publish), wall and CPU time, and the query count;
- **today's page**: the same renders with the uptime read switched off
  (`incidents.pages.bar_strips` and `incidents_of` answer nothing, so no bar, percentage or day
  list is written): the page as it was before the bars, in the same process and run; the two
  kinds of render alternate, so the machine's load falls on both alike;
- **the day's first render**: with bars, and the process's memos of day texts and quiet runs
  (`incidents.uptime_bars.forget_written_days`, pure functions of the dates) emptied too, as
  on the first render after midnight or a restart; alternating with the two above;
- **10 days of rows**: every row older than ten days deleted (and the windows rolled up
  again, as the writers of rows do), then the query count and time again: the count must
  not depend on the history's length.

The rows come from the history code's rollup (`incidents.uptime.days.roll_up_history`),
which generate_history calls; if it wrote none (a branch without it), `fill_days` below writes
them from the generated incidents and maintenance (each affected component in the incident's
status from its start to its resolution, under maintenance for a completed window): the same
number of rows and the same read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter, thread_time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DAY = 86400
STATUS_COLUMNS = {
    "major_outage": "major_outage_seconds",
    "partial_outage": "partial_outage_seconds",
    "degraded_performance": "degraded_performance_seconds",
    "under_maintenance": "under_maintenance_seconds",
}
RANK = ["operational", "degraded_performance", "partial_outage", "major_outage"]


def _environment(var_dir: Path) -> None:
    os.environ.update(
        {
            "VAR_DIR": str(var_dir),
            "DEBUG": "false",
            "STATIC_MANIFEST": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        }
    )
    os.environ.pop("DATABASE_URL", None)


def _spread(
    days: dict[tuple[int, date], dict[str, Any]],
    component_id: int,
    status: str,
    start: datetime,
    end: datetime,
    incident_id: int | None,
) -> None:
    """Add [start, end) in `status` to the component's days in the site zone."""
    from incidents import timefmt

    zone = timefmt.site_zone()
    moment = start
    while moment < end:
        local = timefmt.in_zone(moment)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
        upto = min(end, midnight)
        row = days.setdefault((component_id, local.date()), {"ids": set(), "worst": "operational"})
        column = STATUS_COLUMNS[status]
        row[column] = row.get(column, 0) + int((upto - moment).total_seconds())
        if (status in RANK and RANK.index(status) > RANK.index(row["worst"])) or (
            status == "under_maintenance" and row["worst"] == "operational"
        ):
            row["worst"] = status
        if incident_id is not None:
            row["ids"].add(incident_id)
        moment = upto


def fill_days(now: datetime) -> int:
    """A rolled-up day for every component and day since the history began; rows written."""
    from incidents import timefmt
    from incidents.models import Component, IncidentComponent, Maintenance, UptimeDay

    busy: dict[tuple[int, date], dict[str, Any]] = {}
    affected = IncidentComponent.objects.select_related("incident")
    first = now
    for row in affected:
        incident = row.incident
        first = min(first, incident.started_at)
        end = incident.resolved_at or now
        _spread(busy, row.component_id, row.status, incident.started_at, end, incident.pk)
    done = Maintenance.objects.filter(status="completed").prefetch_related("components")
    for window in done:
        start, end = window.started_at or window.scheduled_start, window.completed_at
        for component in window.components.all():
            _spread(busy, component.pk, "under_maintenance", start, end or start, None)
    first_day, today = timefmt.in_zone(first).date(), timefmt.in_zone(now).date()
    today_seconds = int((now - timefmt.in_zone(now).replace(hour=0, minute=0, second=0)).seconds)
    rows = []
    for component_id in Component.objects.values_list("pk", flat=True):
        day = first_day
        while day <= today:
            found = busy.get((component_id, day), {"ids": set(), "worst": "operational"})
            observed = today_seconds if day == today else DAY
            seconds = {
                column: min(found.get(column, 0), observed) for column in STATUS_COLUMNS.values()
            }
            rows.append(
                UptimeDay(
                    component_id=component_id,
                    day=day,
                    observed_seconds=observed,
                    worst_status=found["worst"],
                    incident_ids=sorted(found["ids"]),
                    computed_at=now,
                    **seconds,
                )
            )
            day += timedelta(days=1)
    UptimeDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def build(quick: bool) -> dict[str, Any]:
    from django.core.management import call_command
    from django.utils import timezone

    from benchmarks.history import generate_history
    from benchmarks.inprocess import HISTORY_SIZES
    from incidents.models import PublicationState, UptimeDay

    call_command("migrate", interactive=False, verbosity=0)
    now = timezone.now()
    start = perf_counter()
    rows = generate_history(**HISTORY_SIZES["quick" if quick else "full"], seed=1, now=now)
    filled_by = "generate_history (the history helper's rollup)"
    if not UptimeDay.objects.exists():
        rows["UptimeDay"] = fill_days(now)
        filled_by = "benchmarks/uptime.py fill_days (no rollup on this branch)"
        PublicationState.bump()
    rows["UptimeDay"] = UptimeDay.objects.count()
    return {
        "rows": rows,
        "uptime_rows_by": filled_by,
        "build_seconds": round(perf_counter() - start, 1),
    }


@contextmanager
def without_bars():
    """Today's page: the uptime read switched off, so no bar, percentage or day list."""
    from incidents import pages

    saved = pages.bar_strips, pages.incidents_of
    pages.bar_strips = lambda *args, **kwargs: {}  # type: ignore[assignment]
    pages.incidents_of = lambda *args, **kwargs: {}  # type: ignore[assignment]
    try:
        yield
    finally:
        pages.bar_strips, pages.incidents_of = saved


def _render(client: Any, *, first_of_day: bool = False) -> tuple[float, float, int, int]:
    """One cold GET /: wall ms, CPU ms, queries, bytes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.inprocess import _fresh

    _fresh(cold=True)
    if first_of_day:
        from incidents.uptime_bars import forget_written_days

        forget_written_days()
    with CaptureQueriesContext(connection) as captured:
        start, cpu = perf_counter(), thread_time()
        response = client.get("/")
        wall, cpu = perf_counter() - start, thread_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"GET / answered {response.status_code}")
    return wall * 1000, cpu * 1000, len(captured.captured_queries), len(response.content)


def _summary(runs: list[tuple[float, float, int, int]]) -> dict[str, Any]:
    from benchmarks.inprocess import summary_ms

    return {
        "wall_ms": summary_ms([r[0] / 1000 for r in runs]),
        "cpu_ms": summary_ms([r[1] / 1000 for r in runs]),
        "queries": sorted({r[2] for r in runs}),
        "bytes": runs[-1][3],
    }


def measure(renders: int) -> dict[str, Any]:
    from django.test import Client
    from django.utils import timezone

    from benchmarks.servers import machine_busy_seconds
    from incidents import timefmt
    from incidents.models import UptimeDay
    from incidents.uptime.window import roll_up_windows

    client = Client(HTTP_HOST="127.0.0.1")
    _render(client)  # the first request: URLconf and templates
    with without_bars():
        _render(client)
    busy, cpu, wall = machine_busy_seconds(), thread_time(), perf_counter()
    load_before = os.getloadavg()
    bars, plain, first = [], [], []
    for _ in range(renders):
        bars.append(_render(client))
        with without_bars():
            plain.append(_render(client))
        first.append(_render(client, first_of_day=True))
    other = machine_busy_seconds() - busy - (thread_time() - cpu)
    other_cores = round(max(other, 0.0) / (perf_counter() - wall), 2)
    load_after = os.getloadavg()
    ten_years = UptimeDay.objects.count()
    today = timefmt.in_zone(timezone.now()).date()
    UptimeDay.objects.filter(day__lt=today - timedelta(days=9)).delete()
    roll_up_windows()  # deleted in bulk: the windows rolled up again, as the writers do
    short = [_render(client) for _ in range(renders)]
    result = {
        "with_bars": _summary(bars),
        "todays_page": _summary(plain),
        "with_bars_first_render_of_the_day": _summary(first),
        "with_bars_10_days_of_rows": _summary(short),
        "uptime_rows": {"ten_years": ten_years, "ten_days": UptimeDay.objects.count()},
        "machine": {
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            "other_cpu_cores_during_renders": other_cores,
            "nproc": os.cpu_count(),
        },
    }
    extra = result["with_bars"]["cpu_ms"]["median"] - result["todays_page"]["cpu_ms"]["median"]
    result["bars_cost_cpu_ms_median"] = round(extra, 2)
    first_extra = (
        result["with_bars_first_render_of_the_day"]["cpu_ms"]["median"]
        - result["todays_page"]["cpu_ms"]["median"]
    )
    result["first_render_of_the_day_bars_cost_cpu_ms_median"] = round(first_extra, 2)
    return result


def profile(out: Path) -> None:
    import cProfile
    import io
    import pstats

    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    _render(client)
    profiler = cProfile.Profile()
    for _ in range(20):
        profiler.enable()
        _render(client)
        profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(50)
    stats.sort_stats("tottime").print_stats(30)
    out.write_text(text.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.uptime")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--renders", type=int)
    parser.add_argument("--profile", type=Path, help="write a cProfile of 20 renders with bars")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "uptime.json")
    args = parser.parse_args(argv)
    renders = args.renders or (10 if args.quick else 150)
    with tempfile.TemporaryDirectory(prefix="bench-uptime-") as var_dir:
        _environment(Path(var_dir))
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from benchmarks.report import machine

        data: dict[str, Any] = {"machine": machine(), "build": build(args.quick)}
        if args.profile:
            profile(args.profile)
        data["measure"] = measure(renders)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2))
    print(json.dumps({k: v for k, v in data["measure"].items()}, indent=2))
    print(json.dumps(data["build"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
