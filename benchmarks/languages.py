"""What a second language costs the status page: `python -m benchmarks.languages [--quick]`.

On the generated ten-year history (benchmarks/history.py; --quick: a tenth of it), in the
same run, the status page of the site in one language (SITE_LANGUAGES=en) against the site
in both, at `/` and at `/nb/`:

- **Cold render**: GET in process with a fresh database connection and empty caches (what
  each publish costs), median of --renders, wall and CPU (benchmarks/inprocess.py).
- **Cached request**: the same GET with the page cached, median, in process.
- **Requests per second**: wrk (-t2 -c64) on granian (2 workers, the page cache warm) on
  loopback, when wrk is installed: --rounds rounds (default 3), each taking the three sites
  in turn, reported as the median with the lowest and highest.

The goal (issue #18): two languages within 5% of one. Results go to out/languages-<time>.json
and, without --quick, to the Languages block of README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import report, servers  # noqa: E402
from benchmarks.run import dataset_env, in_child  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
README = ROOT / "benchmarks" / "README.md"
START, END = "<!-- languages:start -->", "<!-- languages:end -->"
CONFIGS = [
    ("one language (SITE_LANGUAGES=en), /", {"SITE_LANGUAGES": "en"}, "/"),
    ("two languages, /", {}, "/"),
    ("two languages, /nb/", {}, "/nb/"),
]


def measure(opts: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-languages-"))
    env = dataset_env(workdir)
    quick = ["--quick"] if opts.quick else []
    results: dict[str, Any] = {
        "quick": opts.quick,
        "machine": report.machine(),
        "rounds": opts.rounds,
        "runs": [],
    }
    try:
        print("languages: generating the history …", flush=True)
        results["rows"] = in_child(["build", "history", *quick], env, workdir / "build.json")
        for label, extra, path in CONFIGS:
            config = {**env, **extra, "BENCH_STATUS_PATH": path}
            print(f"languages: {label} …", flush=True)
            run: dict[str, Any] = {"label": label, "path": path}
            run["inprocess"] = in_child(
                ["measure", "--renders", str(opts.renders), "--page", str(workdir / "page.html")],
                config,
                workdir / "measure.json",
            )
            results["runs"].append(run)
        if servers.wrk_path() is not None:
            # Rounds, each site in turn: a machine drifting during the run (other load, the
            # host) then weighs on all three alike, and the spread says what a difference is worth.
            for round_number in range(opts.rounds):
                for (label, extra, path), run in zip(CONFIGS, results["runs"], strict=True):
                    print(f"languages: wrk round {round_number + 1}, {label} …", flush=True)
                    run.setdefault("wrk_rounds", []).append(
                        _served(opts, {**env, **extra, "BENCH_STATUS_PATH": path}, workdir, path)
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _served(
    opts: argparse.Namespace, config: dict[str, str], workdir: Path, path: str
) -> dict[str, Any]:
    granian = servers.start_granian(config, workdir)
    try:
        for _ in range(10):  # each worker has the page cached
            servers.fetch(f"{granian.url}{path}")
        return servers.load_test(granian, path, opts.seconds, opts.warmup).as_dict()
    finally:
        granian.stop()


def _rate(run: dict[str, Any]) -> float | None:
    """The median requests per second of the run's wrk rounds."""
    rounds = run.get("wrk_rounds") or []
    return statistics.median(r["requests_per_second"] for r in rounds) if rounds else None


def _ratio(value: float, yardstick: float) -> str:
    return f"{(value / yardstick - 1) * 100:+.1f}%" if yardstick else "?"


def section(results: dict[str, Any]) -> str:
    one = results["runs"][0]
    base = one["inprocess"]
    lines = [
        "### Languages",
        "",
        f"{report.machine_line(results['machine'])} · `python -m benchmarks.languages"
        f"{' --quick' if results['quick'] else ''}`",
        "",
        "The status page of the generated history, the site in one language against the site "
        "in two, in the same run (medians; cold: fresh connection, empty caches; cached: the "
        "page cache warm, in process; req/s: wrk -t2 -c64 on granian, 2 workers, the median "
        f"of {results.get('rounds', 1)} rounds taking the three sites in turn, lowest and highest "
        "in brackets; other load: the most any round saw). The goal: within 5% of one language.",
        "",
        "| Site, page | Cold render | CPU | Cached request | req/s | other load |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        measured, rounds = run["inprocess"], run.get("wrk_rounds") or []
        cold, cpu = measured["render_ms"]["median"], measured["render_cpu_ms"]["median"]
        cached = measured["cached_ms"]["median"]
        rate, yardstick = _rate(run), _rate(one)
        rps = "–"
        if rate is not None:
            low = min(r["requests_per_second"] for r in rounds)
            high = max(r["requests_per_second"] for r in rounds)
            rps = f"{rate:,.0f} ({low:,.0f}–{high:,.0f})"
        other = f"{max(r['other_cpu_cores'] for r in rounds):.2f}" if rounds else "–"
        if run is not one:
            cold_text = f"{cold:.1f} ms ({_ratio(cold, base['render_ms']['median'])})"
            cpu_text = f"{cpu:.1f} ms ({_ratio(cpu, base['render_cpu_ms']['median'])})"
            cached_text = f"{cached:.3f} ms ({_ratio(cached, base['cached_ms']['median'])})"
            if rate is not None and yardstick:
                rps += f", {_ratio(rate, yardstick)}"
        else:
            cold_text, cpu_text, cached_text = f"{cold:.1f} ms", f"{cpu:.1f} ms", f"{cached:.3f} ms"
        lines.append(
            f"| {run['label']} | {cold_text} | {cpu_text} | {cached_text} | {rps} | {other} |"
        )
    return "\n".join(lines) + "\n"


def write_readme(text: str) -> None:
    readme = README.read_text()
    block = f"{START}\n{text}{END}"
    if START in readme:
        head, rest = readme.split(START, 1)
        readme = head + block + rest.split(END, 1)[1]
    else:
        readme = readme.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the history, 3 s loads")
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--seconds", type=int, help="wrk duration (default 10, quick 3)")
    parser.add_argument("--warmup", type=int, help="wrk warm-up (default 2, quick 1)")
    parser.add_argument("--rounds", type=int, help="wrk rounds per site (default 3, quick 1)")
    parser.add_argument("--readme", action=argparse.BooleanOptionalAction)
    opts = parser.parse_args(argv)
    opts.seconds = opts.seconds or (3 if opts.quick else 10)
    opts.warmup = opts.warmup if opts.warmup is not None else (1 if opts.quick else 2)
    opts.rounds = opts.rounds or (1 if opts.quick else 3)
    results = measure(opts)
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (OUT / f"languages-{stamp}.json").write_text(json.dumps(results, indent=2))
    text = section(results)
    print(text)
    if opts.readme if opts.readme is not None else not opts.quick:
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
