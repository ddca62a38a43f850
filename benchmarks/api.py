"""Benchmark /api/v2/summary.json, with its yardstick, for each dataset run.py builds.

- In process (a fresh Python process, `python -m benchmarks.api measure`): the first request
  after start, then N cold renders (page cache cleared, new database connection: what a poll
  costs right after a publish) and N warm ones (served from the cache under the publication
  token), with their query counts. The body is saved for the load test.
- Under load: granian serves the app with benchmarks.bench_settings, and wrk measures
  /api/v2/summary.json warm against /__bench__/bare/ given the same bytes (BENCH_PAGE_FILE,
  the bare view of benchmarks/bare_urls.py): same server, same middleware, same run. The
  bare view says text/html where the API says application/json and adds its Last-Modified,
  Cache-Control and CORS headers; the bodies are identical (checked).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from time import perf_counter

SUMMARY = "/api/v2/summary.json"
BARE = "/__bench__/bare/"
PRIME = 10


def measure(renders: int, body_out: Path) -> dict[str, object]:
    """Runs in the child process, with Django set up."""
    from django.core.cache import caches
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.inprocess import row_counts, summary_ms

    client = Client(HTTP_HOST="127.0.0.1")

    def timed(clear_cache: bool) -> tuple[float, int, bytes]:
        if clear_cache:
            caches["pages"].clear()
        reset_queries()
        connection.close()  # every render opens its connection, as a new request may
        with CaptureQueriesContext(connection) as queries:
            start = perf_counter()
            response = client.get(SUMMARY)
            elapsed = perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"GET {SUMMARY} answered {response.status_code}")
        return elapsed, len(queries.captured_queries), response.content

    first, _, _ = timed(clear_cache=True)
    cold = [timed(clear_cache=True) for _ in range(renders)]
    warm = [timed(clear_cache=False) for _ in range(renders)]
    body = cold[-1][2]
    if warm[-1][2] != body:
        raise SystemExit("the cached summary differs from the rendered one")
    body_out.write_bytes(body)
    document = json.loads(body)
    return {
        "first_request_ms": round(first * 1000, 2),
        "cold_ms": summary_ms([t for t, _, _ in cold]),
        "warm_ms": summary_ms([t for t, _, _ in warm]),
        "cold_queries": cold[-1][1],
        "warm_queries": warm[-1][1],
        "bytes": len(body),
        "listed": {
            "components": len(document["components"]),
            "incidents": len(document["incidents"]),
            "scheduled_maintenances": len(document["scheduled_maintenances"]),
        },
        "rows": row_counts(),
    }


def _in_child(env: dict[str, str], root: Path, renders: int, out: Path, body: Path) -> dict:
    command = [sys.executable, "-m", "benchmarks.api", "measure", "--renders", str(renders)]
    command += ["--out", str(out), "--body", str(body)]
    done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"API measure failed:\n{tail}")
    return json.loads(out.read_text())


def bench(workdir: Path, env: dict[str, str], opts: argparse.Namespace) -> dict[str, object]:
    """In-process figures, then (with wrk) the API and its bare yardstick under load."""
    from benchmarks import servers

    root = Path(__file__).resolve().parent.parent
    body = workdir / "summary.json"
    print(f"  {SUMMARY}: {opts.renders} cold and warm renders in process …", flush=True)
    result: dict[str, object] = {
        "inprocess": _in_child(env, root, opts.renders, workdir / "api-measure.json", body)
    }
    if servers.wrk_path() is None:
        result["load"] = {}
        return result
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "BENCH_PAGE_FILE": str(body),
    }
    granian = servers.start_granian(server_env, workdir)
    load: dict[str, object] = {}
    try:
        first, live_body = servers.fetch(f"{granian.url}{SUMMARY}")
        _, bare_body = servers.fetch(f"{granian.url}{BARE}")
        load.update(first_request_ms=round(first * 1000, 1), same_bytes=live_body == bare_body)
        if not load["same_bytes"]:
            raise RuntimeError("the bare view does not send the summary's bytes")
        for name, path in (("live", SUMMARY), ("bare", BARE)):
            print(f"  wrk {name} {path} …", flush=True)
            for _ in range(PRIME):  # sequential GETs first, so each worker has it cached
                servers.fetch(f"{granian.url}{path}")
            load[name] = servers.load_test(granian, path, opts.seconds, opts.warmup).as_dict()
    finally:
        granian.stop()
    result["load"] = load
    return result


def _rps(load: dict | None) -> str:
    if not load:
        return "n/a"
    bad = load["non_2xx"] + load["errors"]
    text = f"{load['requests_per_second']:,.0f}"
    return f"{text} ({bad:,} errors)" if bad else text


def tables(results: dict) -> str:
    """The README's API table: one row per dataset."""
    rows = []
    for name, data in results["datasets"].items():
        api = data.get("api") if isinstance(data, dict) else None
        if not api:
            continue
        m, load = api["inprocess"], api.get("load") or {}
        live, bare = load.get("live"), load.get("bare")
        ratio = "n/a"
        if live and bare and bare["requests_per_second"]:
            ratio = f"{live['requests_per_second'] / bare['requests_per_second']:.1%}"
        cpu = (
            f"{live['cpu_ms_per_request']:.2f} / {bare['cpu_ms_per_request']:.2f} ms"
            if live and bare
            else "n/a"
        )
        rows.append(
            f"| {name} | {m['rows']['Incident']:,} | {m['bytes'] / 1024:.1f} KB "
            f"| {m['first_request_ms']:.0f} ms | {m['cold_ms']['median']:.1f} / "
            f"{m['cold_ms']['p95']:.1f} ms ({m['cold_queries']} queries) "
            f"| {m['warm_ms']['median']:.2f} ms ({m['warm_queries']} query) "
            f"| {_rps(live)} | {_rps(bare)} | {ratio} | {cpu} |"
        )
    if not rows:
        return ""
    return "\n".join(
        [
            f"`{SUMMARY}` (benchmarks/api.py). Cold: page cache cleared and a new database "
            "connection per render, as right after a publish; warm: served from the cache. "
            f"Requests per second: the same wrk and granian settings against `{BARE}` "
            "sending the same bytes, same server, same run.",
            "",
            "| Dataset | Incidents | Body | First request after start | Cold median / p95 "
            "| Warm median | API req/s | Bare Django view req/s | API / bare "
            "| CPU per request: API / bare |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api")
    sub = parser.add_subparsers(dest="command", required=True)
    measure_cmd = sub.add_parser("measure")
    measure_cmd.add_argument("--renders", type=int, default=30)
    measure_cmd.add_argument("--out", type=Path, required=True)
    measure_cmd.add_argument("--body", type=Path, required=True)
    args = parser.parse_args(argv)

    from benchmarks.inprocess import setup_django

    setup_django()
    args.out.write_text(json.dumps(measure(args.renders, args.body), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
