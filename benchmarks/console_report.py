"""The console benchmark's section of benchmarks/README.md, written from its results."""

from __future__ import annotations

from typing import Any

from benchmarks import report

README = report.HERE / "README.md"
START, END = "<!-- console:start -->", "<!-- console:end -->"
GOAL = 1.5


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def section(results: dict[str, Any]) -> str:
    machine = report.machine_line(results["machine"])
    settings = results["settings"]

    def wrk(data: dict[str, Any]) -> str:
        w = data["wrk"]
        lat = w["latency_ms"]
        return (
            f"`/` at {w['requests_per_second']:,.0f} req/s, p50 {_ms(lat.get('p50', 0))} / "
            f"p99 {_ms(lat.get('p99', 0))} ms; other work {w['other_cpu_cores']} cores"
        )

    def row(database: str, label: str, data: dict[str, Any], meanwhile: str) -> str:
        rt, form, post = data["round_trip_ms"], data["form_ms"], data["post_ms"]
        return (
            f"| {database} | {label} | {rt['n']} | **{_ms(rt['median'])}** / {_ms(rt['p95'])} ms "
            f"| {_ms(form['median'])} / {_ms(post['median'])} ms | {meanwhile} |"
        )

    rows, verdicts = [], []
    for database, r in results["console"].items():
        ratio = r["ratios"]
        cpu = r["alone"]["server_cpu_ms_per_round_trip"]
        rows += [
            row(database, "alone", r["alone"], f"server CPU {cpu} ms per round trip"),
            row(database, "**under public load**", r["loaded"], wrk(r["loaded"])),
            row(database, "alone again", r["alone_after"], ""),
            row(database, "console on its own server, alone", r["split_alone"], ""),
            row(
                database,
                "console on its own server, **public server under load**",
                r["split_loaded"],
                wrk(r["split_loaded"]),
            ),
        ]
        met = "met" if ratio["split_median"] <= GOAL else "**missed**"
        inproc = r["inprocess"]
        verdicts.append(
            f"- **{database}** ({r['server']}): the console on its own server (the README's "
            f"production layout, and `make run`'s): median **{ratio['split_median']:.2f}×**, p95 "
            f"{ratio['split_p95']:.2f}× (goal ≤ {GOAL}×: {met}). One shared server: "
            f"median **{ratio['median']:.2f}×**, p95 {ratio['p95']:.2f}× (quiet "
            f"{_ms(ratio['quiet_median_ms'])} / {_ms(ratio['quiet_p95_ms'])} ms). In process "
            "(`django.test.Client`, no HTTP): form "
            f"{_ms(inproc['form_ms']['median'])} ms, post {_ms(inproc['post_ms']['median'])} ms "
            f"(medians of {inproc['rounds']}); {inproc['form_queries']} + "
            f"{inproc['post_queries']} SQL queries."
        )
    return "\n".join(
        [
            f"{machine} · `python -m benchmarks.console` ({settings['samples']} round trips a "
            f"phase, `wrk -t2 -c64 -d{settings['seconds']}s`)",
            "",
            "| Database | Phase | Round trips | Round trip median / p95 | Form / post median "
            "| Meanwhile |",
            "|---|---|---:|---:|---:|---|",
            *rows,
            "",
            *verdicts,
        ]
    )


def write_readme(text: str) -> None:
    """Replace the figures between the console markers (the method and reading stay)."""
    replaced = report.replace_between(README.read_text(), START, END, text)
    if replaced is None:
        raise SystemExit(f"benchmarks/README.md has no {START} … {END} block")
    README.write_text(replaced)
