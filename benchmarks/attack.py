"""Public readers under attack: `python -m benchmarks.attack` (also a section of run.py).

One granian (`--workers 2`, the project's settings, DEBUG off) on a throwaway SQLite file
with the demo data, an editor with a TOTP device and 100 subscribers (benchmarks.console's
setup). The public rate of `/` and of `/widget/` (`wrk -t2 -c64`, one after the other) is
taken alone, then beside each attack in turn, each as a ratio of the alone figure of the
same run (goal: at least 0.8):

- junk query strings: `wrk -t1 -c4` looping `/`, `/widget/`, `/feed.atom`, `/badge.svg`
  and `/history/`, each with a new `?cb=` (a page cache keyed on it would render every one);
- a login flood: `wrk -t1 -c4` on `/staff/login/`, anonymous;
- made-up tokens: `wrk -t1 -c4` on the staff API with a well-formed token that is no one's;
- a staff member posting: dashboard "Post update" round trips, one every PACE (2) s, and
  back to back (the worst case, not judged: readers give way to every staff request, and
  each update moves the publication token, so the next reader of each page renders it).

Then the staff round trip (benchmarks.console's: the htmx form, then the post) alone and
beside the login flood (goal: at most 1.5x). Loopback only; every load is bounded by its own
duration and every server and attacker is stopped by its pid, also on failure or a signal.
About 100 s (`--quick`: about 60 s, README untouched).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import console, report, servers  # noqa: E402
from benchmarks.child import run_module  # noqa: E402
from benchmarks.console_browser import Staff  # noqa: E402

HERE = ROOT / "benchmarks"
OUT = HERE / "out"
README = HERE / "README.md"
START, END = "<!-- attack:start -->", "<!-- attack:end -->"
PUBLIC = ["/", "/widget/"]
ATTACKERS = 4  # connections, as in the report this answers
JUNK_SCRIPT = """\
local paths = {"/", "/widget/", "/feed.atom", "/badge.svg", "/history/"}
local n = 0
request = function()
  n = n + 1
  local path = paths[(n % #paths) + 1] .. "?cb=" .. n .. "-" .. math.random(1, 2147483647)
  return wrk.format("GET", path)
end
"""
MADE_UP_TOKEN = "sp_000000000000_" + "A" * 43
GOAL_PUBLIC, GOAL_STAFF = 0.8, 1.5
PACE = 2.0  # seconds between a staff member's updates: faster than anyone writes them
CONDITIONS = [
    "junk_queries",
    "login_flood",
    "made_up_tokens",
    "staff_posting",
    "staff_posting_back_to_back",
]


class Flood:
    """`wrk -t1 -c4` on loopback for at most `seconds`, stopped (SIGINT: wrk reports) on exit."""

    def __init__(self, url: str, seconds: int, extra: list[str]) -> None:
        if not url.startswith("http://127.0.0.1:"):
            raise ValueError(f"load tests stay on loopback, not {url}")
        self.command = [servers.wrk_path() or "wrk", "-t1", f"-c{ATTACKERS}", f"-d{seconds}s"]
        self.command += ["--timeout", "10s", *extra, url]
        self.seconds = seconds
        self.result: dict[str, Any] = {}

    def __enter__(self) -> Flood:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        time.sleep(0.5)  # let it reach its pace before anything is measured
        return self

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            output, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        parsed = servers.parse_wrk(self.command[-1], self.seconds, output or "")
        self.result = {
            "requests_per_second": parsed.requests_per_second,
            "requests": parsed.requests,
            "non_2xx": parsed.non_2xx,
            "errors": parsed.errors,
        }


class Posting:
    """A staff member posting updates until stopped: back to back, or one every `every` s."""

    def __init__(self, staff: Staff, every: float = 0.0) -> None:
        self.staff = staff
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                self.samples.append(self.staff.round_trip())
                self.stop.wait(max(0.0, self.every - (time.monotonic() - started)))
        except Exception as error:  # reported, not raised: the public figures still count
            self.error = repr(error)

    def __enter__(self) -> Posting:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(120)
        self.result = console.phase(self.samples) if self.samples else {"error": self.error}


def public_rates(server: servers.Server, seconds: int) -> dict[str, Any]:
    rates = {}
    for path in PUBLIC:
        run = servers.run_wrk(server.url + path, seconds)
        rates[path] = {
            "requests_per_second": run.requests_per_second,
            "p50_ms": run.latency_ms.get("p50"),
            "p99_ms": run.latency_ms.get("p99"),
            "non_2xx": run.non_2xx,
            "errors": run.errors,
        }
    return rates


def round_trips(staff: Staff, count: int, within: float) -> dict[str, Any]:
    samples: list[tuple[float, float]] = []
    started = time.monotonic()
    while len(samples) < count and time.monotonic() - started < within:
        samples.append(staff.round_trip())
    return console.phase(samples)


def measure(server: servers.Server, staff: Staff, opts: argparse.Namespace) -> dict[str, Any]:
    seconds = opts.seconds
    flood_seconds = len(PUBLIC) * seconds + 5  # outlasts both public runs
    say = lambda text: print(f"attack: {text}", flush=True)  # noqa: E731
    result: dict[str, Any] = {"loadavg_before": Path("/proc/loadavg").read_text().strip()}
    for path in PUBLIC:  # every worker has both pages cached, then a warm-up
        for _ in range(10):
            servers.fetch(server.url + path)
        servers.run_wrk(server.url + path, 1)
    say(f"public {' and '.join(PUBLIC)} alone ({seconds} s each) …")
    result["alone"] = public_rates(server, seconds)
    floods = {
        "junk_queries": (server.url + "/", ["-s", str(opts.script)]),
        "login_flood": (server.url + "/staff/login/", []),
        "made_up_tokens": (
            server.url + "/api/staff/v1/incidents",
            ["-H", f"Authorization: Bearer {MADE_UP_TOKEN}"],
        ),
    }
    for name, (url, extra) in floods.items():
        say(f"public beside {name.replace('_', ' ')} …")
        with Flood(url, flood_seconds, extra) as flood:
            rates = public_rates(server, seconds)
        result[name] = {**rates, "attacker": flood.result}
    staff.incident = opts.incidents["loaded"]
    for name, every in (("staff_posting", PACE), ("staff_posting_back_to_back", 0.0)):
        say(f"public beside a staff member posting ({name}) …")
        with Posting(staff, every) as posting:
            rates = public_rates(server, seconds)
        result[name] = {**rates, "staff": posting.result}
    say(f"staff round trips alone, then beside the login flood ({opts.samples} each) …")
    staff.incident = opts.incidents["alone_after"]
    result["staff_alone"] = round_trips(staff, opts.samples, 60)
    staff.incident = opts.incidents["split_alone"]
    with Flood(server.url + "/staff/login/", seconds + 10, []) as flood:
        result["staff_beside_login_flood"] = round_trips(staff, opts.samples, seconds + 5)
    result["staff_beside_login_flood"]["attacker"] = flood.result
    result["loadavg_after"] = Path("/proc/loadavg").read_text().strip()
    result["ratios"] = ratios(result)
    return result


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for condition in CONDITIONS:
        found[condition] = {
            path: round(
                result[condition][path]["requests_per_second"]
                / max(result["alone"][path]["requests_per_second"], 1e-9),
                2,
            )
            for path in PUBLIC
        }
    alone = result["staff_alone"]["round_trip_ms"]["median"]
    flooded = result["staff_beside_login_flood"]["round_trip_ms"]["median"]
    found["staff_round_trip_beside_login_flood"] = round(flooded / alone, 2)
    return found


def bench(root: Path, opts: argparse.Namespace) -> dict[str, Any]:
    workdir = root / "attack"
    workdir.mkdir(parents=True)
    env = console.bench_env(workdir)
    print("attack: database, demo data, editor with a TOTP device …", flush=True)
    device = console.child(["setup"], env, workdir / "setup.json")
    opts.incidents = device["incidents"]
    opts.script = workdir / "junk.lua"
    opts.script.write_text(JUNK_SCRIPT)
    server = servers.start_granian(env, workdir)
    try:
        staff = Staff(server.url, opts.incidents["alone"])
        staff.sign_in(device)
        for _ in range(3):
            staff.round_trip()
        return {"samples": opts.samples, "seconds": opts.seconds, **measure(server, staff, opts)}
    except BaseException:
        print(f"granian's log:\n{server.log_tail(30)}", flush=True)
        raise
    finally:
        server.stop()


def _per_second(value: float) -> str:
    return f"{value:,.0f}"


def section(result: dict[str, Any], machine: dict[str, Any]) -> str:
    ratio = result["ratios"]
    rows = []
    labels = {
        "alone": "alone",
        "junk_queries": "beside junk query strings",
        "login_flood": "beside an anonymous login flood",
        "made_up_tokens": "beside made-up API tokens",
        "staff_posting": f"beside a staff member posting every {PACE:g} s",
        "staff_posting_back_to_back": "beside a staff member posting back to back",
    }
    for condition, label in labels.items():
        figures = result[condition]
        cells = []
        for path in PUBLIC:
            rate = figures[path]["requests_per_second"]
            shown = _per_second(rate)
            if condition != "alone":
                shown += f" (**{ratio[condition][path]:.2f}**)"
            cells.append(shown)
        if "attacker" in figures:
            att = figures["attacker"]
            meanwhile = f"attacker {_per_second(att['requests_per_second'])} req/s"
            if att["non_2xx"]:
                meanwhile += f", {att['non_2xx']:,} non-2xx"
        elif "staff" in figures and "round_trip_ms" in figures["staff"]:
            staff = figures["staff"]["round_trip_ms"]
            meanwhile = f"{staff['n']} updates posted, round trip median {staff['median']} ms"
        else:
            meanwhile = ""
        rows.append(f"| {label} | {' | '.join(cells)} | {meanwhile} |")
    # Back to back is the worst case, shown but not judged: readers give way to every request.
    public = [v for c in CONDITIONS[:-1] for v in ratio[c].values()]
    public_ok = min(public) >= GOAL_PUBLIC
    staff_ratio = ratio["staff_round_trip_beside_login_flood"]
    alone = result["staff_alone"]["round_trip_ms"]
    flooded = result["staff_beside_login_flood"]["round_trip_ms"]
    return "\n".join(
        [
            f"{report.machine_line(machine)} · `python -m benchmarks.attack` (`wrk -t2 -c64 "
            f"-d{result['seconds']}s` per public figure, attackers `wrk -t1 -c{ATTACKERS}`) · "
            f"loadavg before {result['loadavg_before']}, after {result['loadavg_after']}",
            "",
            "| Public req/s (ratio to alone) | `/` | `/widget/` | Meanwhile |",
            "|---|---:|---:|---|",
            *rows,
            "",
            f"- Public ratios (all but back to back): lowest **{min(public):.2f}** "
            f"(goal ≥ {GOAL_PUBLIC}: {'met' if public_ok else 'not met'}).",
            "- Staff round trip (form + post) beside the login flood: median "
            f"**{flooded['median']}** ms against {alone['median']} ms alone, "
            f"**{staff_ratio:.2f}×** (goal ≤ {GOAL_STAFF}×: "
            f"{'met' if staff_ratio <= GOAL_STAFF else 'not met'}); p95 {flooded['p95']} against "
            f"{alone['p95']} ms.",
        ]
    )


def write_readme(text: str) -> None:
    original = README.read_text()
    if START not in original:
        original = original.rstrip("\n") + f"\n\n{START}\n{END}\n"
    README.write_text(report.replace_between(original, START, END, text) or original)


def in_child(workdir: Path, quick: bool, timeout: float = 600) -> dict[str, Any]:
    """For run.py: this benchmark in a fresh process, its figures read back (or why not)."""
    return run_module("attack", workdir / "attack-results.json", quick, timeout)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the blocks that stop the servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per figure, 8 round trips")
    parser.add_argument("--seconds", type=int, help="wrk duration per public figure (default 5)")
    parser.add_argument("--samples", type=int, help="staff round trips per phase (default 15)")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    parser.add_argument(
        "--readme", action=argparse.BooleanOptionalAction, help="write README (default: not quick)"
    )
    opts = parser.parse_args(argv)
    opts.seconds = opts.seconds or (3 if opts.quick else 5)
    opts.samples = opts.samples or (8 if opts.quick else 15)
    opts.readme = (not opts.quick) if opts.readme is None else opts.readme
    if servers.wrk_path() is None:
        print("wrk is not installed (apt-get install wrk): nothing to measure")
        return 1
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    machine = report.machine()
    root = Path(tempfile.mkdtemp(prefix="statuspage-bench-attack-"))
    try:
        result = bench(root, opts)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result["machine"] = machine
    OUT.mkdir(exist_ok=True)
    (OUT / "attack-latest.json").write_text(json.dumps(result, indent=2))
    if opts.out:
        opts.out.write_text(json.dumps(result, indent=2))
    text = section(result, machine)
    print(f"\n{text}\n")
    if opts.readme:
        write_readme(text)
        print("Updated benchmarks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
