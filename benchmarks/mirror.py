"""Benchmark the static mirror's local target: `python -m benchmarks.mirror [--quick]`.

With a generated ten-year history (benchmarks/history.py: 1,000 incidents, 300 posts, 100
maintenance windows; --quick: 100, 30, 10) in a throwaway SQLite database:

- **Full build**: `manage.py build_mirror` (every public page, feed, API document and asset
  into a new build, then the swap), in a fresh process: what an operator waits for.
- **Publish to mirror updated**: from calling `incidents.actions.post_incident_update` to
  MIRROR_LOCAL_DIR/current pointing at a build whose incident page shows the update (the
  swap), and to the call's return (old builds pruned, the next build's links made, the
  delivery recorded). The dispatcher runs in the same process (Celery eager: commit, dispatch
  task, mirror delivery, channel), as a worker would once it has the task; the broker's pickup
  delay is not in it. The goal is under 1 s. Then the same for `open_incident`, which moves
  every history page. Each publish is timed in phases (the action's transaction, choosing the
  URLs, rendering them by kind, linking, writing, pruning) by wrapping the functions that do
  them, with its CPU time beside the wall time (the machine is shared); one update is profiled
  with cProfile (out/profile-mirror.txt).
- **Under load**: nginx serving the mirrored status page from the build directory, against
  granian (2 workers, page cache warm) serving the live one, with `wrk -t2 -c64` on loopback,
  in the same run; the two bodies are compared byte for byte.

Results go to out/mirror-<time>.json and (without --quick) the Mirror part of README.md's
results. run.py may call `in_child` and `readme_block`; this module runs on its own too.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HERE = ROOT / "benchmarks"
OUT = HERE / "out"
README = HERE / "README.md"
START, END = "<!-- mirror:start -->", "<!-- mirror:end -->"
SIZES = {
    "full": {"incidents": 1000, "posts": 300, "maintenance": 100},
    "quick": {"incidents": 100, "posts": 30, "maintenance": 10},
}
PREFIX = "status-mirror"
GOAL_SECONDS = 1.0


# --- in the child process (Django set up, VAR_DIR and MIRROR_LOCAL_DIR from the environment) --


def url_kind(url: str) -> str:
    """Group rendered addresses by what they are, for the phase table."""
    if url == "/":
        return "status page"
    if url.startswith("/history/"):
        return "history pages"
    if url.startswith("/api/"):
        return "API documents"
    if url.startswith("/components/"):
        return "component feeds and badges"
    if url.startswith("/blog/category/") or url.startswith("/blog/tag/"):
        return "category and tag pages and feeds"
    if url == "/blog/" or url.startswith("/blog/page/"):
        return "blog pages"
    if url.startswith(("/incidents/", "/maintenance/", "/blog/")):
        return "incident, maintenance and post pages"
    if url.startswith("/feed") or url.endswith(".ics"):
        return "site feeds and calendar"
    return "badge, widget, 404"


class Phases:
    """Wall time spent in the parts of one publish, by patching the functions that do them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.marks: dict[str, float] = {}

    def add(self, name: str, seconds: float, count: int = 1) -> None:
        self.seconds[name] += seconds
        self.counts[name] += count

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from notifier import ledger
        from notifier.channels import mirror_local
        from notifier.mirror import channel

        patches: list[tuple[Any, str, Any]] = []

        def patch(owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
            original = getattr(owner, name)
            patches.append((owner, name, original))
            setattr(owner, name, wrapper(original))

        def timed(label: str) -> Callable[[Any], Any]:
            def wrap(original: Any) -> Any:
                def run(*args: Any, **kwargs: Any) -> Any:
                    start = perf_counter()
                    try:
                        return original(*args, **kwargs)
                    finally:
                        self.add(label, perf_counter() - start)

                return run

            return wrap

        def swapped(original: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                self.marks["swapped"] = perf_counter()  # _prune runs right after the swap
                start = perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.add("publish: prune old builds", perf_counter() - start)

            return run

        def committed(original: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                self.marks["committed"] = perf_counter()
                return original(*args, **kwargs)

            return run

        def rendering(original: Any) -> Any:
            def run(urls: Any) -> Iterator[Any]:
                urls = list(dict.fromkeys(urls))
                pages = original(urls)
                for url in urls:
                    start = perf_counter()
                    page = next(pages, None)
                    self.add(f"render: {url_kind(url)}", perf_counter() - start)
                    if page is None:
                        return
                    yield page

            return run

        patch(ledger, "enqueue_notice", committed)
        patch(channel, "urls_for", timed("choose URLs (listing counts)"))
        patch(channel, "render_pages", rendering)
        patch(channel, "not_found_page", timed("render: badge, widget, 404"))
        patch(channel, "static_files", timed("list static files"))

        def linking(original: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                start = perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    late = "swapped" in self.marks  # linking the next build, reader-ready
                    label = (
                        "after the swap: link the next build ahead"
                        if late
                        else ("publish: hard-link the last build")
                    )
                    self.add(label, perf_counter() - start)

            return run

        patch(mirror_local, "_link_tree", linking)
        patch(mirror_local, "_write", timed("publish: write pages"))
        patch(mirror_local.LocalMirrorChannel, "_prune", swapped)
        try:
            yield
        finally:
            for owner, name, original in reversed(patches):
                setattr(owner, name, original)


def _tree(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def child_build(quick: bool) -> dict[str, Any]:
    from django.core.management import call_command

    from benchmarks.history import generate_history
    from benchmarks.inprocess import row_counts

    call_command("migrate", interactive=False, verbosity=0)
    start = perf_counter()
    generate_history(**SIZES["quick" if quick else "full"], seed=1)
    generated = perf_counter() - start
    call_command("collectstatic", interactive=False, verbosity=0)
    return {"rows": row_counts(), "generate_seconds": round(generated, 2)}


def child_full_build() -> dict[str, Any]:
    """One `build_mirror` in this fresh process: template compilation included, as for real."""
    from django.conf import settings
    from django.core.management import call_command

    from notifier.mirror.site import every_url

    out = io.StringIO()
    start = perf_counter()
    call_command("build_mirror", stdout=out)
    seconds = perf_counter() - start
    current = Path(settings.MIRROR_LOCAL_DIR) / "current"
    files, size = _tree(current.resolve())
    return {
        "seconds": round(seconds, 2),
        "output": out.getvalue().strip(),
        "urls": len(set(every_url())),
        "files": files,
        "megabytes": round(size / 1e6, 1),
    }


def _time_publish(
    publish: Callable[[], Any], page: Callable[[Any], str], text: str, profiler: Any = None
) -> dict[str, Any]:
    """One publish, dispatched in process: wall time to the swap and to the return, CPU time."""
    from django.conf import settings

    from notifier.models import Delivery, DeliveryState

    current = Path(settings.MIRROR_LOCAL_DIR) / "current"
    before = current.resolve()
    phases = Phases()
    with phases.installed():
        if profiler is not None:
            profiler.enable()
        start, cpu = perf_counter(), time.process_time()
        subject = publish()
        elapsed, cpu = perf_counter() - start, time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
    after = current.resolve()
    delivery = Delivery.objects.filter(channel="mirror_local").latest("id")
    shown = (after / page(subject)).read_text()
    if after == before or text not in shown or delivery.state != DeliveryState.SENT:
        raise SystemExit(f"a publish did not reach the mirror: {delivery.last_error}")
    transaction = phases.marks["committed"] - start
    accounted = transaction + sum(phases.seconds.values())
    return {
        "seconds": round(elapsed, 4),
        "swapped_seconds": round(phases.marks["swapped"] - start, 4),
        "cpu_seconds": round(cpu, 4),
        "phases": {
            "the action's transaction (commit included)": round(transaction, 4),
            **{k: round(v, 4) for k, v in sorted(phases.seconds.items())},
            "dispatch, ledger and the rest": round(max(0.0, elapsed - accounted), 4),
        },
        "counts": dict(phases.counts),
        "reference": delivery.reference,
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run (this process's first publish) apart; medians of the others."""
    first, measured = runs[0], runs[1:]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in measured), 4)

    return {
        "first_seconds": first["seconds"],
        "median_seconds": median("seconds"),
        "median_swapped_seconds": median("swapped_seconds"),
        "median_cpu_seconds": median("cpu_seconds"),
        "min_seconds": round(min(r["seconds"] for r in measured), 4),
        "max_seconds": round(max(r["seconds"] for r in measured), 4),
        "n": len(measured),
        "median_phases": {
            name: round(statistics.median(r["phases"][name] for r in measured), 4)
            for name in measured[0]["phases"]
        },
        "rendered": measured[-1]["counts"],
        "reference": measured[-1]["reference"],
        "runs": runs,
    }


def child_publishes(count: int, opens: int, profile_out: Path | None) -> dict[str, Any]:
    """Time incident updates (the goal's measure), then new incidents, to the swapped mirror."""
    from incidents import actions
    from incidents.models import Component, ComponentStatus, Incident, IncidentStatus
    from statuspage.celery import app

    app.conf.task_always_eager = True  # commit -> dispatch task -> delivery task -> channel
    incident = Incident.objects.filter(resolved_at__isnull=True).order_by("-started_at").first()
    assert incident is not None, "the generated history has an open incident"
    statuses = [IncidentStatus.MONITORING, IncidentStatus.IDENTIFIED]
    profiler = cProfile.Profile() if profile_out else None
    updates = []
    for n in range(count + 1):  # the first warms this process up and is reported apart
        body = f"Benchmark update {n}: the fix is rolling out to the remaining servers."
        updates.append(
            _time_publish(
                lambda n=n, body=body: (
                    actions.post_incident_update(
                        incident, status=statuses[n % 2], body=body
                    ).incident
                ),
                lambda subject: f"incidents/{subject.pk}/index.html",
                body,
                profiler if n == 1 else None,
            )
        )
    component = Component.objects.order_by("pk").last()
    openings = []
    for n in range(opens + 1):
        body = f"Benchmark incident {n}: we are looking into slow logins."
        openings.append(
            _time_publish(
                lambda n=n, body=body: actions.open_incident(
                    title=f"Benchmark incident {n}",
                    body=body,
                    component_statuses={component: ComponentStatus.DEGRADED_PERFORMANCE},
                ),
                lambda subject: f"incidents/{subject.pk}/index.html",
                body,
            )
        )
    if profiler is not None and profile_out is not None:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        text.write("# one incident update to the local mirror, dispatched in process (cProfile)\n")
        stats.sort_stats("cumulative").print_stats(50)
        stats.sort_stats("tottime").print_stats(25)
        profile_out.parent.mkdir(exist_ok=True)
        profile_out.write_text(text.getvalue())
    return {"update": _summary(updates), "open": _summary(openings)}


def child_main(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    import django

    django.setup()
    if args.step == "build":
        result = child_build(args.quick)
    elif args.step == "full":
        result = child_full_build()
    else:
        result = child_publishes(args.publishes, args.opens, args.profile)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


# --- the parent: processes, servers, load, report -------------------------------------------


def bench_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        VAR_DIR=str(workdir / "var"),
        STATIC_ROOT=str(workdir / "var" / "static"),
        MIRROR_LOCAL_DIR=str(workdir / "mirror"),
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def in_step(step: str, env: dict[str, str], workdir: Path, *extra: str) -> dict[str, Any]:
    out = workdir / f"mirror-{step}.json"
    command = [sys.executable, "-m", "benchmarks.mirror", "--child", step, "--out", str(out)]
    done = subprocess.run(
        [*command, *extra], env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"mirror {step} failed:\n{tail}")
    return json.loads(out.read_text())


def load(workdir: Path, env: dict[str, str], opts: argparse.Namespace) -> dict[str, Any]:
    """wrk on nginx serving the mirrored status page, then on granian serving the live one."""
    from benchmarks import servers
    from tests.servers.nginx import NginxServer

    if servers.wrk_path() is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    result: dict[str, Any] = {}
    # Two workers, as run.py's nginx yardstick and the granian it is compared with.
    with NginxServer(workdir / "mirror", prefix=PREFIX, workers=2) as nginx:
        assert nginx.process is not None
        server = servers.Server("nginx", nginx.process, workdir / "nginx.log", nginx.port)
        _, mirrored = servers.fetch(nginx.url)
        print("  wrk: nginx, mirrored status page …", flush=True)
        result["nginx"] = servers.load_test(
            server, f"/{PREFIX}/", opts.seconds, opts.warmup
        ).as_dict()
    granian = servers.start_granian(env, workdir)
    try:
        _, live = servers.fetch(f"{granian.url}/")
        for _ in range(10):  # sequential GETs first, so each worker has the page cached
            servers.fetch(f"{granian.url}/")
        print("  wrk: granian, live status page …", flush=True)
        result["granian"] = servers.load_test(granian, "/", opts.seconds, opts.warmup).as_dict()
    finally:
        granian.stop()
    result["page_bytes"] = len(mirrored)
    result["same_bytes"] = mirrored == live
    return result


def bench(opts: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-mirror-"))
    workdir.chmod(0o755)  # nginx's workers (nobody, when we are root) read the mirror here
    env = bench_env(workdir)
    quick = ["--quick"] if opts.quick else []
    results: dict[str, Any] = {"quick": opts.quick, "publishes": opts.publishes}
    try:
        print("mirror: generating the history …", flush=True)
        results["dataset"] = in_step("build", env, workdir, *quick)
        print("mirror: full build (manage.py build_mirror) …", flush=True)
        results["full_build"] = in_step("full", env, workdir)
        print(f"mirror: {opts.publishes} updates, {opts.opens} new incidents …", flush=True)
        profile = "--profile" if opts.profile else "--no-profile"
        publish_args = ["--publishes", str(opts.publishes), "--opens", str(opts.opens), profile]
        results["incremental"] = in_step("publish", env, workdir, *publish_args)
        results["load"] = load(workdir, env, opts)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def in_child(workdir: Path, quick: bool, timeout: float = 3600) -> dict[str, Any]:
    """For run.py: this benchmark in a fresh process; SIGTERM it if we are stopped first."""
    out = workdir / "mirror-results.json"
    command = [sys.executable, "-m", "benchmarks.mirror", "--no-readme", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    child = subprocess.Popen([*command, *(["--quick"] if quick else [])], cwd=ROOT, env=env)
    try:
        child.wait(timeout)
    except BaseException as error:
        child.terminate()  # it stops its servers on SIGTERM
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if not isinstance(error, subprocess.TimeoutExpired):
            raise
        return {"skipped": f"did not finish within {timeout:.0f} s"}
    if child.returncode != 0 or not out.exists():
        return {"skipped": f"benchmarks/mirror.py exited with {child.returncode}"}
    return dict(json.loads(out.read_text()))


# --- report ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _rps(run: dict[str, Any] | None) -> str:
    if not run:
        return "n/a"
    bad = run["non_2xx"] + run["errors"]
    text = f"{run['requests_per_second']:,.0f}"
    return f"{text} ({bad:,} errors)" if bad else text


def _addresses(reference: str) -> str:
    return reference.split(" files")[0] if " files" in reference else "?"


def section(results: dict[str, Any]) -> str:
    from benchmarks import report

    rows = results["dataset"]["rows"]
    full, load_ = results["full_build"], results.get("load") or {}
    update, opening = results["incremental"]["update"], results["incremental"]["open"]
    verdict = "met" if update["median_swapped_seconds"] < GOAL_SECONDS else "missed"
    lines = [
        "### Mirror",
        "",
        f"{report.machine_line(report.machine())} · `python -m benchmarks.mirror"
        f"{' --quick' if results['quick'] else ''}`",
        "",
        f"Generated history: {rows['Incident']:,} incidents, {rows['Post']:,} posts, "
        f"{rows['Maintenance']:,} maintenance windows; the local target (MIRROR_LOCAL_DIR).",
        "",
        "| Full build: `build_mirror` in a fresh process | Addresses | Files | Size |",
        "|---:|---:|---:|---:|",
        f"| {full['seconds']:.1f} s | {full['urls']:,} | {full['files']:,} "
        f"| {full['megabytes']:.1f} MB |",
        "",
        "Publish to mirror updated: from calling the action to `current` pointing at a build "
        "that shows it (*swapped*), and to the call's return (old builds pruned, the next "
        "build's links made, the delivery recorded), the dispatcher running in the same process "
        "(Celery eager). Medians; the first publish of the process apart.",
        "",
        "| Publish | Files written | To swapped | To return (min–max, n) | CPU | First in process "
        "| Goal < 1 s |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, run, goal in (
        ("`post_incident_update`", update, verdict),
        ("`open_incident` (every history page moves)", opening, ""),
    ):
        lines.append(
            f"| {label} | {_addresses(run['reference'])} | {_ms(run['median_swapped_seconds'])} "
            f"| {_ms(run['median_seconds'])} ({_ms(run['min_seconds'])}–"
            f"{_ms(run['max_seconds'])}, {run['n']}) | {_ms(run['median_cpu_seconds'])} "
            f"| {_ms(run['first_seconds'])} | {goal} |"
        )
    lines += [
        "",
        "Where an update's time goes (medians; calls: addresses rendered, files written):",
        "",
        "| Phase | Median | Calls |",
        "|---|---:|---:|",
    ]
    counts = update["rendered"]
    for name, seconds in sorted(update["median_phases"].items(), key=lambda item: -item[1]):
        if seconds >= 0.0005:
            lines.append(f"| {name} | {_ms(seconds)} | {counts.get(name, '')} |")
    if load_.get("nginx"):
        nginx, granian = load_["nginx"], load_.get("granian")
        lines += [
            "",
            f"The status page ({load_['page_bytes'] / 1024:.1f} KB; the mirrored and the live "
            f"bytes {'identical' if load_['same_bytes'] else 'DIFFERENT'}) under `wrk -t2 -c64 "
            f"-d{nginx['seconds']}s` on loopback, in the same run:",
            "",
            "| Server | Requests/s | p50 / p99 | CPU per request |",
            "|---|---:|---:|---:|",
            f"| nginx (2 workers): the mirror under /{PREFIX}/ | {_rps(nginx)} "
            f"| {_latency(nginx)} | {nginx['cpu_ms_per_request']:.3f} ms |",
        ]
        if granian:
            lines.append(
                f"| granian (2 workers): the live page, page cache warm | {_rps(granian)} "
                f"| {_latency(granian)} | {granian['cpu_ms_per_request']:.3f} ms |"
            )
            if granian["requests_per_second"]:
                ratio = nginx["requests_per_second"] / granian["requests_per_second"]
                lines += ["", f"nginx serves the mirrored page at {ratio:.0f}× the live rate."]
        others = [r["other_cpu_cores"] for r in (nginx, granian) if r]
        lines.append(
            f"Other work on the machine during the load tests: {min(others):.2f} to "
            f"{max(others):.2f} of {report.machine()['nproc']} cores."
        )
    elif load_.get("skipped"):
        lines += ["", f"Load test skipped: {load_['skipped']}."]
    return "\n".join(lines)


def _latency(run: dict[str, Any]) -> str:
    latency = run["latency_ms"]
    return f"{latency.get('p50', 0):.2f} / {latency.get('p99', 0):.2f} ms"


def readme_section(readme: Path) -> str:
    """The Mirror part now in the README, with its markers ("" if there is none)."""
    current = readme.read_text() if readme.exists() else ""
    if START not in current or END not in current:
        return ""
    return START + current.split(START, 1)[1].split(END, 1)[0] + END


def readme_block(results: dict[str, Any] | None, readme: Path) -> str:
    """run.py's Mirror part of the results block: these figures, or those the README has."""
    if not results or "skipped" in results:
        return readme_section(readme)
    return f"{START}\n{section(results)}\n{END}"


def write_readme(readme: Path, text: str) -> None:
    """Replace the Mirror part of the results, or add it after run.py's results block.

    Outside that block, run.py's rewrite of the block leaves it alone.
    """
    from benchmarks.report import END as RESULTS_END

    current = readme.read_text()
    block = f"{START}\n{text.strip()}\n{END}"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        current = head + block + rest.split(END, 1)[1]
    elif RESULTS_END in current:
        head, tail = current.split(RESULTS_END, 1)
        current = f"{head}{RESULTS_END}\n\n{block}\n{tail.lstrip()}"
    else:
        current = f"{current.rstrip()}\n\n{block}\n"
    readme.write_text(current)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the blocks that stop the servers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 incidents, 3 s loads")
    parser.add_argument("--publishes", type=int, help="timed updates (default 10, quick 3)")
    parser.add_argument("--opens", type=int, help="timed new incidents (default 3, quick 2)")
    parser.add_argument("--seconds", type=int, help="wrk duration (default 10, quick 3)")
    parser.add_argument("--warmup", type=int, help="wrk warm-up (default 2, quick 1)")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--readme", action=argparse.BooleanOptionalAction, help="write README (default: not quick)"
    )
    # Internal: one step in a fresh process with Django set up.
    parser.add_argument("--child", choices=["build", "full", "publish"], help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    quick = opts.quick
    opts.publishes = opts.publishes or (3 if quick else 10)
    opts.opens = opts.opens or (2 if quick else 3)
    opts.seconds = opts.seconds or (3 if quick else 10)
    opts.warmup = opts.warmup if opts.warmup is not None else (1 if quick else 2)
    opts.readme = (not quick) if opts.readme is None else opts.readme
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if opts.child:
        opts.step = opts.child
        opts.profile = OUT / "profile-mirror.txt" if opts.profile else None
        return child_main(opts)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    started = time.monotonic()
    results = bench(opts)
    results["seconds"] = round(time.monotonic() - started, 1)
    text = section(results)
    print(f"\n{text}\n")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    raw = OUT / f"mirror-{stamp}{'-quick' if opts.quick else ''}.json"
    raw.write_text(json.dumps(results, indent=2))
    print(f"Raw figures: {raw.relative_to(ROOT)}")
    if opts.out:
        opts.out.write_text(json.dumps(results, indent=2))
    if opts.readme:
        write_readme(README, text)
        print("Updated benchmarks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
