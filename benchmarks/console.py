"""Benchmark the staff console's "post update" round trip, alone and under public load.

`python -m benchmarks.console` (`--quick`: fewer samples, shorter loads; README untouched;
`--database sqlite|postgres` for one of the two).

Twice, each in a throwaway database with the demo data and 100 confirmed email subscribers
(so a publish writes deliveries and hands them to the broker; no worker runs): a SQLite file
with the embedded SQLite broker, as `make run`; then PostgreSQL with Redis as the broker, as in
production (both servers from tests/servers/). granian serves the app (`--workers 2`, the
project's settings, DEBUG off), first one instance for everything. The
benchmark creates an editor with a confirmed TOTP device and opens an incident, then signs
in over HTTP as a browser does: GET and POST /staff/login/, then /staff/verify/ with the
code computed from the device's key.

One round trip is what the dashboard's "Post update" costs a browser, over one keep-alive
connection: the htmx GET of the card's update form (the click), then the htmx POST of that
form with a new message (the submit), answered by the refreshed card, which is checked to
show the message. Measured in one run: alone; while `wrk -t2 -c64` loads the public status
page `/` on the same server (bounded by its own -d, loopback only); alone again. The ratio
compares the loaded median with the median of both quiet phases. Then the production layout
of the README: the console on a granian of its own (1 worker) beside the public one (2
workers), same database and VAR_DIR; round trips to the console alone, then while wrk loads
the public one. On PostgreSQL each web process shares a pool of 8 connections
(DATABASE_POOL_SIZE). Last, the round trip in process (django.test.Client), timed, its
queries counted, then profiled (out/profile-console-*.txt).

Every server is stopped by its pid when its part ends, also on failure or a signal.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import report, servers  # noqa: E402
from benchmarks.console_browser import PASSWORD, USERNAME, Staff, form_fields  # noqa: E402
from benchmarks.console_report import section, write_readme  # noqa: E402

HERE = ROOT / "benchmarks"
OUT = HERE / "out"
SUBSCRIBERS = 100
DATABASES = ["sqlite", "postgres"]
PHASES = ["alone", "loaded", "alone_after", "split_alone", "split_loaded", "inprocess"]


# --- the child: database, staff user, TOTP device, incident ----------------------------------


def setup_child(out: Path) -> None:
    """Runs in a fresh process with the benchmark's environment."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice

    import actions
    from console.roles import Role, assign_role
    from incidents.models import Component, ComponentStatus, Impact, IncidentStatus
    from notifier.models import Subscriber

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD)
    assign_role(user, Role.EDITOR)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n}@example.com") for n in range(SUBSCRIBERS)
    )
    component = Component.objects.order_by("position", "id").first()
    # One incident per phase: each phase's updates go to a fresh incident, so the card it
    # renders (with the incident's timeline) does not grow from one phase to the next.
    incidents = [
        actions.open_incident(
            title=f"Email services down because of DDoS ({phase})",
            body="We are under a DDoS attack. Next update within 30 minutes.",
            impact=Impact.MAJOR,
            status=IncidentStatus.IDENTIFIED,
            component_statuses={component: ComponentStatus.MAJOR_OUTAGE} if component else None,
            author=user,
        )
        for phase in PHASES
    ]
    out.write_text(
        json.dumps(
            {
                "incidents": dict(zip(PHASES, [i.pk for i in incidents], strict=True)),
                "key": device.key,
                "step": device.step,
                "t0": device.t0,
                "digits": device.digits,
            }
        )
    )


def profile_child(out: Path, incident: int, rounds: int, profile_out: Path) -> None:
    """Round trips through django.test.Client, timed, then again under cProfile."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from tests.factories import verify_client

    client = Client(HTTP_HOST="127.0.0.1")
    verify_client(client, get_user_model().objects.get(username=USERNAME))
    form_url = f"/staff/incidents/{incident}/update-form/"
    post_url = f"/staff/incidents/{incident}/update/"

    def one(n: int) -> tuple[float, float]:
        start = time.perf_counter()
        html = client.get(form_url, HTTP_HX_REQUEST="true").content.decode()
        middle = time.perf_counter()
        data = form_fields(html)
        data["body"] = f"In-process profile, update {n}."
        response = client.post(post_url, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and data["body"].encode() in response.content
        return middle - start, time.perf_counter() - middle

    one(0)
    timed = [one(n + 1) for n in range(rounds)]
    form_queries: list[str] = []
    post_queries: list[str] = []

    def counted(into: list[str]) -> Any:
        def wrapper(execute: Any, sql: str, *args: Any) -> Any:
            into.append(sql)
            return execute(sql, *args)

        return wrapper

    with connection.execute_wrapper(counted(form_queries)):
        html = client.get(form_url, HTTP_HX_REQUEST="true").content.decode()
    data = form_fields(html)
    data["body"] = "Counting queries."
    with connection.execute_wrapper(counted(post_queries)):
        client.post(post_url, data, HTTP_HX_REQUEST="true")
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(rounds):
        one(rounds + n + 1)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(
        r"/(console|incidents|notifier|django_otp|axes)/", 45
    )
    stats.sort_stats("tottime").print_stats(25)
    Path(profile_out).write_text(text.getvalue())
    out.write_text(
        json.dumps(
            {
                "form_ms": summary([a for a, _ in timed]),
                "post_ms": summary([b for _, b in timed]),
                "form_queries": len(form_queries),
                "post_queries": len(post_queries),
                "rounds": rounds,
            }
        )
    )


# --- measuring --------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summary(seconds: list[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "median": round(percentile(seconds, 0.5) * 1000, 1),
        "p95": round(percentile(seconds, 0.95) * 1000, 1),
        "min": round(min(seconds) * 1000, 1),
        "max": round(max(seconds) * 1000, 1),
    }


def phase(samples: list[tuple[float, float]]) -> dict[str, Any]:
    return {
        "round_trip_ms": summary([a + b for a, b in samples]),
        "form_ms": summary([a for a, _ in samples]),
        "post_ms": summary([b for _, b in samples]),
        "raw_ms": [[round(a * 1000, 2), round(b * 1000, 2)] for a, b in samples],
    }


def quiet(staff: Staff, server: servers.Server, count: int) -> dict[str, Any]:
    cpu = server.cpu_seconds()
    samples = [staff.round_trip() for _ in range(count)]
    result = phase(samples)
    result["server_cpu_ms_per_round_trip"] = round(
        1000 * (server.cpu_seconds() - cpu) / len(samples), 1
    )
    return result


def loaded(
    staff: Staff, public: servers.Server, count: int, seconds: int, ramp: float = 1.0
) -> dict[str, Any]:
    """Round trips while wrk loads the public page: start after `ramp`, stop before wrk does."""
    found: dict[str, Any] = {}

    def load() -> None:
        try:
            found["wrk"] = servers.load_test(public, "/", seconds, warmup=0).as_dict()
        except Exception as error:
            found["wrk_error"] = repr(error)

    thread = threading.Thread(target=load, daemon=True)
    started = time.monotonic()
    thread.start()
    time.sleep(ramp)
    samples = []
    # Leave a margin at the end: every sample must be taken while wrk is still loading.
    while len(samples) < count and time.monotonic() - started < seconds - 1.5:
        samples.append(staff.round_trip())
    thread.join(seconds + 60)
    if "wrk" not in found:
        raise RuntimeError(f"wrk did not finish: {found.get('wrk_error')}")
    result = phase(samples) if samples else {}
    result["wrk"] = {k: v for k, v in found["wrk"].items() if k != "raw"}
    return result


def bench_env(workdir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "EMAIL_", "DELIVERY_"))
    }
    (workdir / "staticfiles").mkdir(parents=True, exist_ok=True)
    env.update(
        VAR_DIR=str(workdir),
        STATIC_ROOT=str(workdir / "staticfiles"),
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        STATIC_MANIFEST="false",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        CELERY_TASK_ALWAYS_EAGER="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def child(
    args: list[str], env: dict[str, str], out: Path, extra: list[str] | None = None
) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.console", *args, "--out", str(out), *(extra or [])]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"benchmarks.console {args[0]} failed:\n{tail}")
    return json.loads(out.read_text())


def bench(root: Path, opts: argparse.Namespace, database: str) -> dict[str, Any]:
    workdir = root / database
    env = bench_env(workdir)
    if database == "postgres":
        # As in production: PostgreSQL, and Redis as the Celery broker.
        from tests.servers.postgres import PostgresServer
        from tests.servers.redis import RedisServer

        with PostgresServer() as pg, RedisServer() as redis:
            # As the README's production notes: each web process shares a pool of 8
            # connections among its threads (granian runs a thread per request in flight).
            env.update(DATABASE_URL=pg.url, CELERY_BROKER_URL=redis.url, DATABASE_POOL_SIZE="8")
            result = bench_on(workdir, env, opts, database)
            result["server"] = f"{postgres_version(env)}, Redis broker, DATABASE_POOL_SIZE=8"
            return result
    # As `make run`: a SQLite file, and the embedded broker (SQLite through SQLAlchemy).
    result = bench_on(workdir, env, opts, database)
    result["server"] = "a SQLite file (rollback journal), the embedded SQLite broker"
    return result


def postgres_version(env: dict[str, str]) -> str:
    code = "import django; django.setup(); from django.db import connection; "
    code += "c = connection.cursor(); c.execute('show server_version'); print(c.fetchone()[0])"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    return f"PostgreSQL {done.stdout.strip() or '?'}"


def bench_on(
    workdir: Path, env: dict[str, str], opts: argparse.Namespace, database: str
) -> dict[str, Any]:
    say = lambda text: print(f"console ({database}): {text}", flush=True)  # noqa: E731
    say("database, demo data, editor with a TOTP device …")
    device = child(["setup"], env, workdir / "setup.json")
    result: dict[str, Any] = {"subscribers": SUBSCRIBERS, "samples": opts.samples}
    public = start_granian(env, workdir, [])
    try:
        ids = device["incidents"]
        staff = Staff(public.url, ids["alone"])
        staff.sign_in(device)
        for _ in range(10):
            servers.fetch(f"{public.url}/")  # each worker has the public page cached
        for _ in range(opts.warmup):
            staff.round_trip()
        say(f"{opts.samples} round trips alone …")
        result["alone"] = quiet(staff, public, opts.samples)
        say(f"round trips under wrk -t2 -c64 -d{opts.seconds}s on / …")
        staff.incident = ids["loaded"]
        result["loaded"] = loaded(staff, public, opts.samples, opts.seconds)
        say("round trips alone again …")
        staff.incident = ids["alone_after"]
        result["alone_after"] = quiet(staff, public, opts.samples)
    except BaseException:
        print(f"granian's log:\n{public.log_tail(40)}", flush=True)
        raise
    finally:
        public.stop()
    say("the console on its own granian (1 worker), the public pages on another (2) …")
    (workdir / "split-public").mkdir()
    (workdir / "split-staff").mkdir()
    split_public = start_granian(env, workdir / "split-public", [])
    split_staff = start_granian(env, workdir / "split-staff", [], workers=1)
    try:
        staff.use(split_staff.url)
        staff.incident = ids["split_alone"]
        for _ in range(10):
            servers.fetch(f"{split_public.url}/")
        for _ in range(opts.warmup):
            staff.round_trip()
        result["split_alone"] = quiet(staff, split_staff, opts.samples)
        staff.incident = ids["split_loaded"]
        result["split_loaded"] = loaded(staff, split_public, opts.samples, opts.seconds)
    except BaseException:
        print(f"granian's logs:\n{split_public.log_tail(20)}\n{split_staff.log_tail(20)}")
        raise
    finally:
        split_staff.stop()
        split_public.stop()
    say("the round trip in process, timed, then profiled …")
    OUT.mkdir(exist_ok=True)
    profile_out = OUT / f"profile-console-{database}.txt"
    result["inprocess"] = child(
        ["profile", "--incident", str(device["incidents"]["inprocess"]), "--rounds", "20"],
        env,
        workdir / "profile.json",
        extra=["--profile-out", str(profile_out)],
    )
    result["ratios"] = ratios(result)
    return result


def ratios(result: dict[str, Any]) -> dict[str, float]:
    both = [a + b for a, b in result["alone"]["raw_ms"] + result["alone_after"]["raw_ms"]]
    quiet_median = percentile(both, 0.5)
    quiet_p95 = percentile(both, 0.95)
    loaded_ms = result["loaded"]["round_trip_ms"]
    split_quiet = result["split_alone"]["round_trip_ms"]
    split_loaded = result["split_loaded"]["round_trip_ms"]
    return {
        "quiet_median_ms": round(quiet_median, 1),
        "quiet_p95_ms": round(quiet_p95, 1),
        "median": round(loaded_ms["median"] / quiet_median, 2),
        "p95": round(loaded_ms["p95"] / quiet_p95, 2),
        "split_median": round(split_loaded["median"] / split_quiet["median"], 2),
        "split_p95": round(split_loaded["p95"] / split_quiet["p95"], 2),
    }


def start_granian(
    env: dict[str, str], workdir: Path, extra: list[str], workers: int = 2
) -> servers.Server:
    """servers.start_granian's command with `extra` options."""
    port = servers.free_port()
    granian = Path(sys.executable).with_name("granian")
    command = [
        str(granian if granian.exists() else shutil.which("granian") or "granian"),
        *("--interface", "wsgi", "--workers", str(workers), *extra),
        *("--host", "127.0.0.1", "--port", str(port)),
        "statuspage.wsgi:application",
    ]
    env = {k: v for k, v in env.items() if not k.startswith("GRANIAN_")}
    return servers._start("granian", command, env, workdir / "granian.log", port)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", choices=["setup", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--incident", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=20, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--database",
        choices=DATABASES,
        action="append",
        help="sqlite (a file, as make run) and/or postgres (a throwaway server); default both",
    )
    parser.add_argument("--quick", action="store_true", help="15 samples, 8 s loads")
    parser.add_argument("--samples", type=int, help="round trips per phase (default 40)")
    parser.add_argument("--seconds", type=int, help="wrk duration per loaded phase (default 20)")
    parser.add_argument(
        "--readme", action=argparse.BooleanOptionalAction, help="write README (default: not quick)"
    )
    opts = parser.parse_args(argv)
    if opts.step == "setup":
        setup_child(opts.out)
        return 0
    if opts.step == "profile":
        OUT.mkdir(exist_ok=True)
        profile_child(opts.out, opts.incident, opts.rounds, opts.profile_out)
        return 0
    opts.samples = opts.samples or (15 if opts.quick else 40)
    opts.seconds = opts.seconds or (8 if opts.quick else 20)
    opts.warmup = 3
    opts.readme = (not opts.quick) if opts.readme is None else opts.readme
    if servers.wrk_path() is None:
        print("wrk is not installed (apt-get install wrk): nothing to measure")
        return 1
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    results: dict[str, Any] = {"machine": report.machine(), "console": {}}
    results["settings"] = {"samples": opts.samples, "seconds": opts.seconds, "warmup": 3}
    root = Path(tempfile.mkdtemp(prefix="statuspage-bench-console-"))
    root.chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
    try:
        for database in opts.database or DATABASES:
            results["console"][database] = bench(root, opts, database)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"console-{stamp}.json").write_text(json.dumps(results, indent=2))
    text = section(results)
    print(f"\n{text}\n")
    if opts.readme:
        write_readme(text)
        print("Updated benchmarks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
