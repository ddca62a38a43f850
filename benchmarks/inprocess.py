"""Build a dataset, or time status-page renders, in a fresh process with Django set up.

run.py calls this twice per dataset, with VAR_DIR and the other settings in the environment:

    python -m benchmarks.inprocess build DATASET [--quick]
    python -m benchmarks.inprocess measure --renders 30 --out result.json --page page.html

Measuring in a second process makes its first request a real "first request after start".
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import statistics
import sys
from pathlib import Path
from time import perf_counter, thread_time

HISTORY_SIZES = {
    "full": {"incidents": 1000, "posts": 300, "maintenance": 100},
    "quick": {"incidents": 100, "posts": 30, "maintenance": 10},
}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    import django

    django.setup()


def build(dataset: str, quick: bool) -> dict[str, int]:
    """Migrate the (empty) database and fill it with the named dataset."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if dataset == "demo":
        call_command("load_demo", verbosity=0)
        return row_counts()
    from benchmarks.history import generate_history

    return generate_history(**HISTORY_SIZES["quick" if quick else "full"], seed=1)


def row_counts() -> dict[str, int]:
    from incidents import models

    kinds = ["Component", "Incident", "IncidentUpdate", "Maintenance", "MaintenanceUpdate", "Post"]
    return {kind: getattr(models, kind).objects.count() for kind in kinds}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 30 values is the 29th smallest)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * share)) - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "median": round(statistics.median(ms), 2),
        "p95": round(percentile(ms, 0.95), 2),
        "min": round(min(ms), 2),
        "max": round(max(ms), 2),
        "n": len(ms),
    }


def _fresh(cold: bool) -> None:
    """A newly opened database connection; and, when cold, no cached pages either."""
    from django.core.cache import caches
    from django.db import connection, reset_queries

    reset_queries()
    connection.close()
    if cold:
        for cache in caches.all():
            cache.clear()


# The status page's address: "/" for run.py; benchmarks/languages.py also times "/nb/".
PATH = os.environ.get("BENCH_STATUS_PATH", "/")


def time_request(client: object, *, cold: bool) -> tuple[float, float, bytes]:
    """One GET of the status page on a fresh connection: wall time, CPU time, body."""
    _fresh(cold)
    start, cpu = perf_counter(), thread_time()
    response = client.get(PATH)  # type: ignore[attr-defined]
    elapsed, cpu = perf_counter() - start, thread_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"GET {PATH} answered {response.status_code}")
    return elapsed, cpu, response.content


def time_renders(
    client: object, renders: int, *, cold: bool
) -> tuple[dict[str, float], dict[str, float], bytes]:
    """Wall and CPU time summaries of several GET /, and the last body."""
    times, cpu_times, body = [], [], b""
    for _ in range(renders):
        elapsed, cpu, body = time_request(client, cold=cold)
        times.append(elapsed)
        cpu_times.append(cpu)
    return summary_ms(times), summary_ms(cpu_times), body


def time_data_only(renders: int) -> list[float]:
    """CPU time of pages.status_page() alone: the queries and Python work before templates."""
    from incidents import pages

    times = []
    for _ in range(renders):
        _fresh(cold=True)
        start = thread_time()
        pages.status_page()
        times.append(thread_time() - start)
    return times


def capture_queries(client: object, *, cold: bool) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if cold:
        _fresh(cold=True)
    with CaptureQueriesContext(connection) as captured:
        client.get(PATH)  # type: ignore[attr-defined]
    return [q["sql"] for q in captured.captured_queries]


def profile(client: object, renders: int, out: Path) -> None:
    """cProfile over renders that miss the page cache; top functions by cumulative time."""
    from django.core.cache import caches

    profiler = cProfile.Profile()
    for _ in range(renders):
        for cache in caches.all():
            cache.clear()
        profiler.enable()
        client.get(PATH)  # type: ignore[attr-defined]
        profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    text.write(f"# {renders} renders of / that miss the page cache (cProfile)\n")
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    out.write_text(text.getvalue())


def measure(renders: int, page_out: Path, profile_out: Path | None) -> dict[str, object]:
    """Cold renders (fresh connection, empty caches: what each publish costs) and cached ones."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    first, _, _ = time_request(client, cold=True)
    cold_wall, cold_cpu, fresh_body = time_renders(client, renders, cold=True)
    cached_wall, _, body = time_renders(client, renders, cold=False)
    page_out.write_bytes(body)
    queries = capture_queries(client, cold=True)
    cached_queries = capture_queries(client, cold=False)
    result: dict[str, object] = {
        "first_request_ms": round(first * 1000, 2),
        "render_ms": cold_wall,
        "render_cpu_ms": cold_cpu,
        "cached_ms": cached_wall,
        "cached_equals_fresh": body == fresh_body,
        "data_only_cpu_ms": summary_ms(time_data_only(renders)),
        "query_count": len(queries),
        "cached_query_count": len(cached_queries),
        "queries": queries,
        "cached_queries": cached_queries,
        "page_bytes": len(body),
        "rows": row_counts(),
    }
    if profile_out is not None:
        profile(client, 20, profile_out)
        result["profile"] = str(profile_out)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build")
    build_cmd.add_argument("dataset", choices=["demo", "history"])
    build_cmd.add_argument("--quick", action="store_true")
    build_cmd.add_argument("--out", type=Path, required=True)
    measure_cmd = sub.add_parser("measure")
    measure_cmd.add_argument("--renders", type=int, default=30)
    measure_cmd.add_argument("--out", type=Path, required=True)
    measure_cmd.add_argument("--page", type=Path, required=True)
    measure_cmd.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)

    setup_django()
    if args.command == "build":
        start = perf_counter()
        rows = build(args.dataset, args.quick)
        data: dict[str, object] = {"rows": rows, "build_seconds": round(perf_counter() - start, 2)}
    else:
        data = measure(args.renders, args.page, args.profile)
    args.out.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
