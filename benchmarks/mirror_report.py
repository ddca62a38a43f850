"""The mirror benchmark's figures as the Mirror part of benchmarks/README.md's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.mirror_phases import SHARE_PREFIX

START, END = "<!-- mirror:start -->", "<!-- mirror:end -->"
PREFIX = "status-mirror"
GOAL_SECONDS = 1.0


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

    def verdict(run: dict[str, Any]) -> str:
        return "met" if run["median_swapped_seconds"] < GOAL_SECONDS else "missed"

    lines = [
        "### Mirror",
        "",
        f"{report.machine_line(report.machine())} · `python -m benchmarks.mirror"
        f"{' --quick' if results['quick'] else ''}`",
        "",
        f"Generated history: {rows['Incident']:,} incidents, {rows['Post']:,} posts, "
        f"{rows['Maintenance']:,} maintenance windows; the local target (MIRROR_LOCAL_DIR).",
        "",
        "| Full build: `build_mirror` in a fresh process | Languages | Render processes "
        "| Addresses | Files | Size |",
        "|---|---|---:|---:|---:|---:|",
        *(
            f"| {build['seconds']:.1f} s | {', '.join(build.get('languages', ['en']))} "
            f"| {build.get('processes', 1)} | {build['urls']:,} | {build['files']:,} "
            f"| {build['megabytes']:.1f} MB |"
            for build in (results.get("full_build_one_language"), full)
            if build
        ),
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
    for label, run in (
        ("`post_incident_update`", update),
        ("`open_incident` (the front history page and the last numbered ones)", opening),
    ):
        goal = verdict(run)
        lines.append(
            f"| {label} | {_addresses(run['reference'])} | {_ms(run['median_swapped_seconds'])} "
            f"| {_ms(run['median_seconds'])} ({_ms(run['min_seconds'])}–"
            f"{_ms(run['max_seconds'])}, {run['n']}) | {_ms(run['median_cpu_seconds'])} "
            f"| {_ms(run['first_seconds'])} | {goal} |"
        )
    refresh = results["incremental"].get("refresh")
    if refresh:
        lines += [
            "",
            "beat's refresh (`notifier.mirror.refresh`) after a component status set alone, "
            "which records no notice: every listing and the changed pages, to the swap.",
            "",
            "| Refresh | Files written | Median (min–max, n) | CPU |",
            "|---|---:|---:|---:|",
            f"| `set_component_status`, then one tick | {_addresses(refresh['reference'])} "
            f"| {_ms(refresh['median_seconds'])} ({_ms(refresh['min_seconds'])}–"
            f"{_ms(refresh['max_seconds'])}, {refresh['n']}) "
            f"| {_ms(refresh['median_cpu_seconds'])} |",
        ]
    lines += [
        "",
        "Where an update's time goes (medians; calls: addresses rendered, files written):",
        "",
        "| Phase | Median | Calls |",
        "|---|---:|---:|",
    ]
    counts = update["rendered"]

    def order(item: tuple[str, float]) -> tuple[bool, float]:
        return item[0].startswith(SHARE_PREFIX), -item[1]  # the worker's share after the whole

    for name, seconds in sorted(update["median_phases"].items(), key=order):
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
    from benchmarks.report import replace_between

    current = readme.read_text()
    block = f"{START}\n{text.strip()}\n{END}"
    if (replaced := replace_between(current, START, END, text)) is not None:
        current = replaced
    elif RESULTS_END in current:
        head, tail = current.split(RESULTS_END, 1)
        current = f"{head}{RESULTS_END}\n\n{block}\n{tail.lstrip()}"
    else:
        current = f"{current.rstrip()}\n\n{block}\n"
    readme.write_text(current)
