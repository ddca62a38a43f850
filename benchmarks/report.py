"""The machine, the tables, the README block and the raw JSON of one benchmark run."""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=HERE)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else platform.processor()


def commit() -> str:
    """The checked-out commit, and whether the work tree differs from it."""
    head = _run(["git", "rev-parse", "--short", "HEAD"]) or "?"
    # --no-optional-locks: read the work tree without taking the index lock others may need.
    dirty = bool(_run(["git", "--no-optional-locks", "status", "--porcelain", "-uno"]))
    return head + (" (work tree has uncommitted changes)" if dirty else "")


def machine() -> dict[str, object]:
    """Where and on what the figures were taken."""
    import django
    import granian

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": _run(["nproc"]) or str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "granian": granian.__version__,
        "sqlite": sqlite3.sqlite_version,
        "nginx": _run(["/usr/sbin/nginx", "-v"]).removeprefix("nginx version: "),
        "wrk": _run(["wrk", "--version"]).split(" [")[0],
        "commit": commit(),
    }


def _rps(load: dict | None) -> str:
    if not load:
        return "n/a"
    bad = load["non_2xx"] + load["errors"]
    text = f"{load['requests_per_second']:,.0f}"
    return f"{text} ({bad:,} errors)" if bad else text


def _cpu(load: dict | None) -> str:
    return f"{load['cpu_ms_per_request']:.2f}" if load else "n/a"


def _inprocess_rows(datasets: dict[str, dict]) -> list[str]:
    rows = []
    for name, data in datasets.items():
        if "skipped" in data:
            rows.append(f"| {name} | skipped: {data['skipped']} |" + " |" * 7)
            continue
        m, load = data["inprocess"], data.get("load") or {}
        cold, cached = m["render_ms"], m["cached_ms"]
        first = f"{m['first_request_ms']:.0f}"
        first += f" / {load['first_request_ms']:.0f}" if "first_request_ms" in load else ""
        rows.append(
            f"| {name} | {m['rows']['Incident']:,} | {m['page_bytes'] / 1024:.1f} KB "
            f"| {m['query_count']} / {m['cached_query_count']} | {first} ms "
            f"| {cold['median']:.1f} / {cold['p95']:.1f} ms "
            f"| {m['render_cpu_ms']['median']:.1f} ms | {m['data_only_cpu_ms']['median']:.1f} ms "
            f"| {cached['median']:.2f} / {cached['p95']:.2f} ms |"
        )
    return rows


def _load_rows(datasets: dict[str, dict]) -> list[str]:
    rows = []
    for name, data in datasets.items():
        load = data.get("load")
        if not load:
            continue
        live, bare, start = load.get("live"), load.get("bare"), load.get("after_start")
        ratio = "n/a"
        if live and bare and bare["requests_per_second"]:
            ratio = f"{live['requests_per_second'] / bare['requests_per_second']:.0%}"
        runs = [load.get(kind) for kind in ("live", "uncached", "bare", "nginx")]
        rows.append(
            f"| {name} | {' | '.join(_rps(run) for run in runs)} | {ratio} "
            f"| {_latency(live)} | {_rps(start)}, {_latency(start)} "
            f"| {' / '.join(_cpu(run) for run in runs)} ms |"
        )
    return rows


def _latency(run: dict | None) -> str:
    if not run:
        return "n/a"
    latency = run["latency_ms"]
    return f"{latency.get('p50', 0):,.0f} / {latency.get('p99', 0):,.0f} ms"


def _other_work(datasets: dict[str, dict]) -> str:
    values = [
        run["other_cpu_cores"]
        for data in datasets.values()
        for run in (data.get("load") or {}).values()
        if isinstance(run, dict)
    ]
    return f"{min(values):.2f} to {max(values):.2f}" if values else "n/a"


def tables(results: dict) -> str:
    """Markdown tables of one run's figures."""
    datasets, settings = results["datasets"], results["settings"]
    return "\n".join(
        [
            f"In process: `django.test.Client`, N={settings['renders']} each. *Cold*: a new "
            "database connection and empty caches before each render (the page cache misses, "
            "as after every publish). *Data only*: `pages.status_page()` alone, no templates. "
            "*Cached*: a new connection, the page cache warm.",
            "",
            "| Dataset | Incidents | Page | Queries cold / cached "
            "| First request after start: in process / granian "
            "| Cold median / p95 | Cold CPU median | Data only CPU median | Cached median / p95 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *_inprocess_rows(datasets),
            "",
            f"Requests per second of `/`: `wrk -t2 -c64 -d{settings['seconds']}s` after "
            f"{settings['prime_requests']} sequential requests (so each worker has the page "
            f"cached) and a {settings['warmup']} s warm-up, granian WSGI with 2 workers. "
            "*No page cache*: the same server with dummy caches, so every request renders. "
            "The bare view and nginx send the same bytes as the live page. *Right after "
            f"start*: {settings['after_start_seconds']} s of the same load on a server that "
            "has answered one request, page cache cold. CPU per request: the server's user + "
            "system time over the run divided by the requests answered.",
            "",
            "| Dataset | Live | Live, no page cache | Bare Django view | nginx | Live / bare "
            "| Live p50 / p99 | Live right after start: req/s, p50 / p99 "
            "| CPU per request: live / no cache / bare / nginx |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *_load_rows(datasets),
            "",
            "Other work on the machine during the load tests (CPU time of everything but the "
            f"server and wrk): {_other_work(datasets)} of {results['machine']['nproc']} cores "
            "on average, by run.",
        ]
    )


def machine_line(info: dict) -> str:
    return (
        f"{info['date']} · nproc {info['nproc']} ({info['cpu']}) · Python {info['python']} · "
        f"Django {info['django']} · granian {info['granian']} · SQLite {info['sqlite']} · "
        f"{info['nginx'] or 'no nginx'} · commit {info['commit']}"
    )


def replace_between(text: str, start: str, end: str, block: str) -> str | None:
    """`text` with what lies between the `start` and `end` markers made `block`; None when
    the markers are not both there. The README's sections are each kept this way."""
    if start not in text or end not in text:
        return None
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{block.strip()}\n{end}{rest.split(end, 1)[1]}"


def update_readme(readme: Path, block: str) -> None:
    """Replace what is between the results markers, keeping the rest of the README."""
    text = readme.read_text()
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    readme.write_text(replace_between(text, START, END, block) or text)


def write_json(out_dir: Path, results: dict[str, object], quick: bool) -> Path:
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"results-{stamp}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(results, indent=2))
    (out_dir / "latest.json").write_text(json.dumps(results, indent=2))
    return path
