"""Benchmark the public status page against yardsticks in one run: `python benchmarks/run.py`.

For each dataset (the demo, a generated ten-year history) in a throwaway SQLite database:
build it, time renders of / in a fresh process, then serve it with granian and load / and a
bare Django view returning the same bytes with wrk, and nginx serving those bytes too.
Prints a table, writes benchmarks/out/*.json and the results block of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import (  # noqa: E402
    api,
    attack,
    broker,
    fanout,
    fanout_report,
    mirror,
    probe_load,
    report,
    servers,
    statuspage_import,
    wordpress_import,
)
from benchmarks.import_runs import write_readme  # noqa: E402

HERE = ROOT / "benchmarks"
OUT = HERE / "out"
DEMO_FILES = [
    ROOT / "console" / "management" / "commands" / "load_demo.py",
    ROOT / "actions" / "demo" / "runbox.toml",
]
DATASETS = ["demo", "history"]


def dataset_env(workdir: Path) -> dict[str, str]:
    """The environment of every process of one dataset: its own VAR_DIR and SQLite file."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    (workdir / "staticfiles").mkdir(parents=True, exist_ok=True)
    env.update(
        VAR_DIR=str(workdir),
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        STATIC_MANIFEST="false",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def in_child(args: list[str], env: dict[str, str], out: Path, timeout: float = 900) -> dict:
    """Run `python -m benchmarks.inprocess ARGS --out OUT` and read what it wrote."""
    command = [sys.executable, "-m", "benchmarks.inprocess", *args, "--out", str(out)]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{tail}")
    return json.loads(out.read_text())


def demo_ready(wait: float) -> bool:
    deadline = time.monotonic() + wait
    while not all(path.exists() for path in DEMO_FILES):
        if time.monotonic() >= deadline:
            return False
        time.sleep(5)
    return True


def load_servers(workdir: Path, env: dict[str, str], opts: argparse.Namespace) -> dict:
    """wrk against granian (live page, bare view), granian without page cache, then nginx."""
    page = workdir / "page.html"
    env = {**env, "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings"}
    env["BENCH_PAGE_FILE"] = str(page)
    load: dict[str, object] = {}
    granian = servers.start_granian(env, workdir)
    try:
        first, live_body = servers.fetch(f"{granian.url}/")
        load.update(first_request_ms=round(first * 1000, 1), live_bytes=len(live_body))
        load["live_is_saved_page"] = live_body == page.read_bytes()
        # Straight into load, caches cold: as after a restart (or a publish) during a rush.
        load["after_start"] = _wrk(granian, "/", "live / right after start", opts.cold, 0)
        # Then the steady state: every worker has the page cached.
        load["live"] = _wrk(granian, "/", "live /", opts.seconds, opts.warmup, prime=10)
        load["bare"] = _wrk(granian, "/__bench__/bare/", "bare view", opts.seconds, opts.warmup)
    finally:
        granian.stop()
    granian = servers.start_granian({**env, "BENCH_PAGE_CACHE": "off"}, workdir)
    try:
        load["uncached"] = _wrk(
            granian, "/", "live / without page cache", opts.seconds, opts.warmup
        )
    finally:
        granian.stop()
    nginx = servers.start_nginx(page, workdir / "nginx")
    if nginx is None:
        return load
    try:
        _, static_body = servers.fetch(f"{nginx.url}/")
        if static_body != page.read_bytes():
            raise RuntimeError("nginx does not serve the saved page")
        load["nginx"] = _wrk(nginx, "/", "nginx", opts.seconds, opts.warmup)
    finally:
        nginx.stop()
    return load


def _wrk(
    server: servers.Server, path: str, label: str, seconds: int, warmup: int, prime: int = 0
) -> dict:
    """Prime with sequential GETs (so each worker caches the page), warm up, measure."""
    print(f"  wrk: {label} …", flush=True)
    for _ in range(prime):
        servers.fetch(server.url + path)
    return servers.load_test(server, path, seconds, warmup).as_dict()


def bench_dataset(name: str, root: Path, opts: argparse.Namespace) -> dict:
    workdir = root / name
    env = dataset_env(workdir)
    if name == "demo" and not demo_ready(opts.wait_demo):
        return {"skipped": "load_demo or actions/demo/runbox.toml is not there yet"}
    print(f"{name}: building the database …", flush=True)
    build_args = ["build", name, *(["--quick"] if opts.quick else [])]
    try:
        build = in_child(build_args, env, workdir / "build.json")
    except RuntimeError as error:
        print(f"  skipped: {error}", flush=True)
        return {"skipped": str(error).splitlines()[-1]}
    print(f"{name}: {opts.renders} renders in process …", flush=True)
    OUT.mkdir(exist_ok=True)
    measure_args = ["measure", "--renders", str(opts.renders), "--page", str(workdir / "page.html")]
    measure_args += ["--profile", str(OUT / f"profile-{name}.txt")]
    result = {"build": build, "inprocess": in_child(measure_args, env, workdir / "measure.json")}
    if servers.wrk_path() is None:
        result["load"] = {}
        print("  wrk is not installed: no load test (apt-get install wrk)", flush=True)
    else:
        result["load"] = load_servers(workdir, env, opts)
    result["api"] = api.bench(workdir, env, opts)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 incidents, 3 s loads")
    parser.add_argument("--dataset", choices=DATASETS, action="append", help="only these")
    parser.add_argument("--renders", type=int, help="in-process renders (default 30, quick 10)")
    parser.add_argument("--seconds", type=int, help="wrk duration (default 10, quick 3)")
    parser.add_argument("--warmup", type=int, help="wrk warm-up (default 2, quick 1)")
    parser.add_argument("--wait-demo", type=float, default=0, help="seconds to wait for load_demo")
    parser.add_argument(
        "--readme", action=argparse.BooleanOptionalAction, help="write README (default: not quick)"
    )
    parser.add_argument(
        "--fanout",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="email fan-out to 10,000 and 100,000 subscribers (benchmarks/fanout.py)",
    )
    parser.add_argument(
        "--mirror",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the static mirror's local target (benchmarks/mirror.py)",
    )
    parser.add_argument(
        "--attack",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="public readers beside junk queries, login floods, made-up tokens, staff posting "
        "(benchmarks/attack.py)",
    )
    parser.add_argument(
        "--statuspage-import",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a Statuspage history of 1,000 and 5,000 incidents imported "
        "(benchmarks/statuspage_import.py)",
    )
    parser.add_argument(
        "--wordpress-import",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a WordPress export of 1,000 and 10,000 posts imported "
        "(benchmarks/wordpress_import.py)",
    )
    parser.add_argument(
        "--broker",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="embedded broker tasks/s and a confirmation mail's wait (benchmarks/broker.py)",
    )
    parser.add_argument(
        "--probes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="1,000 probes at 60 s: one worker's CPU share and lateness (benchmarks/probe_load.py)",
    )
    opts = parser.parse_args(argv)
    quick = opts.quick
    opts.renders = opts.renders or (10 if quick else 30)
    opts.seconds = opts.seconds or (3 if quick else 10)
    opts.warmup = opts.warmup if opts.warmup is not None else (1 if quick else 2)
    opts.cold = max(3, opts.seconds // 2)
    opts.readme = (not quick) if opts.readme is None else opts.readme
    return opts


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop servers


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    results: dict[str, object] = {
        "machine": report.machine(),
        "settings": {
            "quick": opts.quick,
            "renders": opts.renders,
            "seconds": opts.seconds,
            "warmup": opts.warmup,
            "after_start_seconds": opts.cold,
            "prime_requests": 10,
            "wrk": "-t2 -c64 --timeout 10s",
            "granian": "--interface wsgi --workers 2",
        },
        "datasets": {},
    }
    root = Path(tempfile.mkdtemp(prefix="statuspage-bench-"))
    root.chmod(0o755)  # nginx workers (an unprivileged user when we are root) read a page here
    try:
        for name in opts.dataset or DATASETS:
            results["datasets"][name] = bench_dataset(name, root, opts)  # type: ignore[index]
        if opts.fanout:
            print("fan-out: email to subscribers through a real worker …", flush=True)
            results["fanout"] = fanout.in_child(root, opts.quick)
        if opts.mirror:
            print("mirror: full build, publish to mirror updated, nginx …", flush=True)
            results["mirror"] = mirror.in_child(root, opts.quick)
        if opts.attack and servers.wrk_path() is not None:
            print("attack: public readers beside floods and a staff member posting …", flush=True)
            results["attack"] = attack.in_child(root, opts.quick)
        if opts.broker:
            print(
                "broker: embedded broker tasks/s, confirmation mail during a fan-out …", flush=True
            )
            results["broker"] = broker.in_child(opts.quick)
        if opts.statuspage_import:
            print("import: a Statuspage history of 1,000 and 5,000 incidents …", flush=True)
            results["statuspage_import"] = statuspage_import.in_child(root, opts.quick)
        if opts.probes:
            print("probes: 1,000 probes at 60 s against smtp-sink, one worker …", flush=True)
            results["probes"] = probe_load.in_child(opts.quick)
        if opts.wordpress_import:
            print("import: a WordPress export of 1,000 and 10,000 posts …", flush=True)
            results["wordpress_import"] = wordpress_import.in_child(root, opts.quick)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    table = report.tables(results)
    if api_table := api.tables(results):
        table = f"{table}\n\n{api_table}"
    block = f"{report.machine_line(results['machine'])}\n\n{table}"  # type: ignore[arg-type]
    readme = HERE / "README.md"
    fanout_block = fanout_report.readme_block(results.get("fanout"), readme)  # type: ignore[arg-type]
    block = f"{block}\n\n{fanout_block}".rstrip()
    if isinstance(results.get("broker"), dict):
        block = f"{block}\n\n{broker.summary(results['broker'])}"  # type: ignore[arg-type]
    if isinstance(results.get("probes"), dict):
        block = f"{block}\n\n{probe_load.summary(results['probes'])}"  # type: ignore[arg-type]
    print(f"\n{block}\n")
    print(f"Raw figures: {report.write_json(OUT, results, opts.quick).relative_to(ROOT)}")
    if opts.readme:
        report.update_readme(HERE / "README.md", block)
        print("Updated benchmarks/README.md")
    mirrored = results.get("mirror")
    if isinstance(mirrored, dict) and "skipped" not in mirrored:
        mirror_text = mirror.section(mirrored)
        print(f"\n{mirror_text}\n")
        if opts.readme:  # its own part, after the results block
            mirror.write_readme(readme, mirror_text)
    elif mirrored:
        print(f"mirror: {mirrored.get('skipped')}")  # type: ignore[union-attr]
    imported = results.get("statuspage_import")
    if isinstance(imported, dict) and "skipped" not in imported:
        import_text = statuspage_import.section(imported)
        print(f"\n{import_text}\n")
        if opts.readme:
            write_readme(import_text, *statuspage_import.BENCHMARK.markers)
    wordpress = results.get("wordpress_import")
    if isinstance(wordpress, dict) and "skipped" not in wordpress:
        wordpress_text = wordpress_import.section(wordpress)
        print(f"\n{wordpress_text}\n")
        if opts.readme:
            write_readme(wordpress_text, *wordpress_import.BENCHMARK.markers)
    attacked = results.get("attack")
    if isinstance(attacked, dict) and "skipped" not in attacked:
        attack_text = attack.section(attacked, attacked["machine"])
        print(f"\n{attack_text}\n")
        if opts.readme:
            attack.write_readme(attack_text)
    elif attacked:
        print(f"attack: {attacked.get('skipped')}")  # type: ignore[union-attr]
    return 0


if __name__ == "__main__":
    sys.exit(main())
