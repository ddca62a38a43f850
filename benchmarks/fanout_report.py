"""The Fan-out section of benchmarks/README.md's results block, from benchmarks/fanout.py's figures.

run.py puts it after the page's tables (`readme_block`); `python -m benchmarks.fanout` alone
replaces just this section (`update_readme`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

START, END = "<!-- fanout:start -->", "<!-- fanout:end -->"


def section(results: dict[str, Any]) -> str:
    """The Fan-out part of the README's results block."""
    if "skipped" in results:
        return f"### Fan-out\n\nSkipped: {results['skipped']}"
    rows = []
    for run_ in results["sizes"]:
        full, bare = run_["full"], run_["bare"]
        rows.append(
            f"| {full['subscribers']:,} | {full['publish_ms']:,.0f} ms "
            f"| {full['first_accepted_ms']:,.0f} ms | {full['seconds']:,.1f} s "
            f"| {full['per_second']:,.0f} | {bare['per_second']:,.0f} "
            f"| **{full['ratio_to_bare']:.0%}** | {full['worker_peak_rss_mb']:,.0f} MB "
            f"({full['worker_peak_process_rss_mb']:,.0f} MB) "
            f"| {full['worker_cpu_ms_per_mail']:.2f} ms | {full['db_commits_per_mail']:.2f} |"
        )
    sizes = ", ".join(f"{r['full']['subscribers']:,}" for r in results["sizes"])
    loads = [x for r in results["sizes"] for x in r["full"].get("load_average", [])]
    load = f"{min(loads):.1f} to {max(loads):.1f}" if loads else "n/a"
    bare_rounds = "; ".join(
        f"{r['full']['subscribers']:,}: "
        + ", ".join(f"{x:,.0f}" for x in r["bare"].get("rounds_per_second", []))
        for r in results["sizes"]
    )
    requeued = ", ".join(
        f"{r['full'].get('sweeper_requeued', 0):,} at {r['full']['subscribers']:,}"
        for r in results["sizes"]
    )
    return "\n".join(
        [
            "### Fan-out",
            "",
            f"`python -m benchmarks.fanout`: notice mails to {sizes} subscribers through the "
            "full path (publish with `actions`, the mailing list expanded into "
            f"delivery rows by the worker in PostgreSQL {results['postgres']}, Redis broker, "
            f"one `{results['worker']}`, the dispatcher building each mail from the batch's "
            "pre-rendered bytes, each mail's content sent with the next one's SMTP envelope, each "
            "mail noted in a local journal at once and in the ledger 100 at a time) into "
            "Postfix's `smtp-sink` on loopback, against one smtplib connection sending the "
            "same bytes to the same sink (`sendmail`, not pipelined), the loop and the sink "
            "each on a core of its own (sharing one costs the loop a fifth), the best of three "
            "rounds of the same number of mails. Mails/s: subscribers "
            "over the time from calling the action to the last mail accepted. Goals: ratio "
            ">= 80%, memory flat, first mail < 1 s. The throwaway PostgreSQL server runs with "
            "fsync off, so neither side of the ratio pays for flushing the disk.",
            "",
            "| Subscribers | Publish (action) | First mail accepted | Last mail | Full path "
            "mails/s | Bare loop mails/s | Ratio | Worker peak RSS, all (largest) "
            "| Worker CPU per mail | DB commits per mail |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Deliveries the sweeper queued a second time (queued more than "
            f"DELIVERY_STALE_SECONDS ago while no worker was sending): {requeued}. Bare loop "
            f"rounds, mails/s: {bare_rounds}. 1-minute "
            "load average during the fan-outs, "
            "its own processes included: "
            f"{load} (nproc {os.cpu_count()}).",
            *_breakdown_lines(results.get("breakdown_ms")),
        ]
    )


def _breakdown_lines(breakdown_ms: dict[str, float] | None) -> list[str]:
    if not breakdown_ms:
        return []
    steps = " | ".join(f"{ms:.2f} ms" for ms in breakdown_ms.values())
    return [
        "",
        "Where one mail's time goes (`benchmarks/fanout_profile.py`: the real `dispatch.run` "
        "over 1,950 deliveries in batches of 200, in one process with the worker stopped, "
        "each step timed by wrapping the function that does it; wall time per mail). "
        "*prepare()*: per batch, the subscribers loaded and the notice's message flattened "
        "once; *envelope()*: each mail's bytes (unsubscribe token, link, splice); *SMTP*: "
        "the exchange, one round trip a mail (its content goes out with the next mail's "
        "envelope); *ledger writes*: the claim per batch, the journal line per mail and "
        "the journal written to the ledger 100 mails at a time.",
        "",
        f"| {' | '.join(breakdown_ms)} |",
        f"|{'---:|' * len(breakdown_ms)}",
        f"| {steps} |",
    ]


def update_readme(readme: Path, text: str) -> None:
    """Replace the Fan-out section inside the results block (added before its end if absent)."""
    from benchmarks.report import END as RESULTS_END
    from benchmarks.report import replace_between

    current = readme.read_text()
    block = f"{START}\n{text.strip()}\n{END}"
    if (replaced := replace_between(current, START, END, text)) is not None:
        current = replaced
    elif RESULTS_END in current:
        head, tail = current.split(RESULTS_END, 1)
        current = f"{head.rstrip()}\n\n{block}\n{RESULTS_END}{tail}"
    else:
        current = f"{current.rstrip()}\n\n{block}\n"
    readme.write_text(current)


def readme_section(readme: Path) -> str:
    """The Fan-out section now in the README, with its markers ("" if there is none)."""
    current = readme.read_text() if readme.exists() else ""
    if START not in current or END not in current:
        return ""
    return START + current.split(START, 1)[1].split(END, 1)[0] + END


def readme_block(results: dict[str, Any] | None, readme: Path) -> str:
    """run.py's Fan-out part of the results block: these figures, or those the README has."""
    if results is None:
        return readme_section(readme)
    return f"{START}\n{section(results)}\n{END}"
