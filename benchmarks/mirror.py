"""Benchmark the static mirror's local target: `python -m benchmarks.mirror [--quick]`.

With a generated ten-year history (benchmarks/history.py: 1,000 incidents, 300 posts, 100
maintenance windows; --quick: 100, 30, 10) in a throwaway SQLite database:

- **Full build**: `manage.py build_mirror` (every public page, feed, API document and asset
  into a new build, then the swap), in a fresh process: what an operator waits for.
- **Publish to mirror updated**: from calling `actions.post_incident_update` to
  MIRROR_LOCAL_DIR/current pointing at a build whose incident page shows the update (the
  swap), and to the call's return (old builds pruned, the next build's links made, the
  delivery recorded). The dispatcher runs in the same process (Celery eager: commit, dispatch
  task, mirror delivery, channel), as a worker would once it has the task; the broker's pickup
  delay is not in it. The goal is under 1 s. Then the same for `open_incident` (the front
  history page and the last numbered ones). Each publish is timed in phases (the action's
  transaction, choosing the URLs, rendering them by kind, linking, writing, pruning) by
  wrapping the functions that do them, with its CPU time beside the wall time (the machine
  is shared); one update is profiled with cProfile (out/profile-mirror.txt).
- **Refresh**: beat's `notifier.mirror.refresh` after a component status set alone (no notice):
  every listing and the changed pages, to the swap.
- **Under load**: nginx serving the mirrored status page from the build directory, against
  granian (2 workers, page cache warm) serving the live one, with `wrk -t2 -c64` on loopback,
  in the same run; the two bodies are compared byte for byte.

Results go to out/mirror-<time>.json and (without --quick) the Mirror part of README.md's
results. run.py may call `in_child`, `section` and `write_readme`; this module runs on its own
too. The steps run in child processes (mirror_child.py, timed in phases by mirror_phases.py);
mirror_report.py writes the figures.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.child import run_module  # noqa: E402
from benchmarks.mirror_report import (  # noqa: E402 (after the path is set)
    PREFIX,
    readme_block,
    section,
    write_readme,
)

__all__ = ["in_child", "readme_block", "section", "write_readme"]

HERE = ROOT / "benchmarks"
OUT = HERE / "out"
README = HERE / "README.md"


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
        # The yardstick, in the same run: the site in its default language alone, rendered by
        # one process, as every build was before the second language.
        print("mirror: full build, one language, one process …", flush=True)
        one = {**env, "SITE_LANGUAGES": "en", "MIRROR_RENDER_PROCESSES": "1"}
        results["full_build_one_language"] = in_step("full", one, workdir)
        print("mirror: full build (manage.py build_mirror), both languages …", flush=True)
        results["full_build"] = in_step("full", env, workdir)
        print(f"mirror: {opts.publishes} updates, {opts.opens} new incidents …", flush=True)
        profile = "--profile" if opts.profile else "--no-profile"
        publish_args = [
            *("--publishes", str(opts.publishes), "--opens", str(opts.opens)),
            *("--refreshes", str(opts.refreshes), profile),
        ]
        results["incremental"] = in_step("publish", env, workdir, *publish_args)
        results["load"] = load(workdir, env, opts)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def in_child(workdir: Path, quick: bool, timeout: float = 3600) -> dict[str, Any]:
    """For run.py: this benchmark in a fresh process; SIGTERM it if we are stopped first."""
    return run_module("mirror", workdir / "mirror-results.json", quick, timeout)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the blocks that stop the servers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 incidents, 3 s loads")
    parser.add_argument("--publishes", type=int, help="timed updates (default 10, quick 3)")
    parser.add_argument("--opens", type=int, help="timed new incidents (default 3, quick 2)")
    parser.add_argument("--refreshes", type=int, help="timed refreshes (default 3, quick 2)")
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
    opts.refreshes = opts.refreshes or (2 if quick else 3)
    opts.seconds = opts.seconds or (3 if quick else 10)
    opts.warmup = opts.warmup if opts.warmup is not None else (1 if quick else 2)
    opts.readme = (not quick) if opts.readme is None else opts.readme
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if opts.child:
        opts.step = opts.child
        opts.profile = OUT / "profile-mirror.txt" if opts.profile else None
        from benchmarks.mirror_child import child_main

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
