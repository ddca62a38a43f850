"""The Chat fan-out section of benchmarks/README.md, from benchmarks/chat_fanout.py's figures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

START, END = "<!-- chat-fanout:start -->", "<!-- chat-fanout:end -->"


def section(results: dict[str, Any]) -> str:
    full, bare = results["full"], results["bare"]
    counts = ", ".join(f"{n:,} {name}" for name, n in results["counts"].items())
    channels = "; ".join(
        f"{name} {row['deliveries']:,}: {row['first_sent_s']:.2f}–{row['last_sent_s']:.2f} s"
        for name, row in sorted(full["channels"].items())
    )
    return "\n".join(
        [
            "### Chat fan-out",
            "",
            f"{results['date']} · nproc {os.cpu_count()} · commit {results['commit']} · "
            "`python -m benchmarks.chat_fanout`",
            "",
            f"{full['subscribers']:,} subscribers ({counts}), every hook on "
            "`benchmarks/http_sink.py` (127.0.0.1, keep-alive). Full path: `actions.open_incident`"
            " in PostgreSQL, Redis broker, one `celery worker --concurrency "
            f"{results.get('concurrency', 2)} --pool prefork`, "
            "every post through `notifier/outbound.py`; requests/s from calling the action to "
            f"the sink's last request, best of {len(full.get('rounds_per_second', [0]))} "
            "publishes. Bare loop: the same requests (same paths, bodies, "
            "headers; built beforehand) over one keep-alive `http.client` connection, the loop and "
            "the sink on cores of their own, best of "
            "three rounds.",
            "",
            "| Publish (action) | First request at the sink | Last request | Full path req/s "
            "| Bare loop req/s | Ratio | Worker CPU per request | Worker peak RSS |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {full['publish_ms']:,.0f} ms | **{full['first_request_ms']:,.0f} ms** "
            f"| {full['seconds']:,.1f} s | {full['per_second']:,.0f} | {bare['per_second']:,.0f} "
            f"| **{full['ratio_to_bare']:.0%}** | {full['worker_cpu_ms_per_request']:.2f} ms "
            f"| {full['worker_peak_rss_mb']:,.0f} MB |",
            "",
            f"Sent per channel, seconds after the publish began (first–last): {channels}. "
            "Full path rounds, req/s: "
            + ", ".join(f"{x:,.0f}" for x in full.get("rounds_per_second", [full["per_second"]]))
            + ". Bare loop rounds, req/s: "
            + ", ".join(f"{x:,.0f}" for x in bare["rounds_per_second"])
            + f"; mean body {bare['mean_body_bytes']:,} bytes.",
            "",
            *_cold(results.get("cold_worker")),
            f"`uptime` before: `{results['uptime_before']}`; after: `{results['uptime_after']}`.",
        ]
    )


def _cold(cold: dict[str, Any] | None) -> list[str]:
    if not cold:
        return []
    return [
        "The worker had sent one publish before, as a running site's has: its first, to "
        f"{cold.get('hooks', 40)} hooks on a fresh worker (imports and connections on its "
        f"processes' first tasks), took {cold['publish_ms']:,.0f} ms to publish and "
        f"{cold['first_request_ms']:,.0f} ms to its first request.",
        "",
    ]


def update_readme(readme: Path, text: str) -> None:
    """Replace the section between its markers, or add it at the end."""
    current = readme.read_text()
    block = f"{START}\n{text.strip()}\n{END}"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = f"{current.rstrip()}\n\n{block}\n"
    readme.write_text(current)
