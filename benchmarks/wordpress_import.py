"""Benchmark the WordPress importer: `python -m benchmarks.wordpress_import [--quick]`.

For each size (1,000 and 10,000 posts; --quick: 100 and 500) a WXR export is generated in
the shape of tests/fixtures/runbox.wordpress.xml (CDATA, wp:post_date and wp:post_date_gmt,
categories and tags, authors, comments): 60% plain posts, 30% "[Resolved]" status posts with
two to four "UPDATE HH:MM CET:" lines (incidents), 10% "[Completed]" status posts with three
or four (maintenance windows). A fresh SQLite database is migrated in one process, and the
import runs in another the way `manage.py import_wordpress` does it (the plan streamed from
the file and written in one transaction), so its peak resident memory (ru_maxrss of that
child) is the import's own. The goal: 10,000 posts in at most 30 s, and memory flat between
the sizes. The machine's load average is recorded beside each run. Results go to
out/wordpress-import-<time>.json and (without --quick) the "WordPress import" part of
README.md.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.child import run_module  # noqa: E402
from benchmarks.import_runs import ImportBenchmark, measure_import  # noqa: E402

SITE = "https://blog.bench.example"
CET = timedelta(hours=1)  # the abbreviation the lines carry gives the offset, all year
MEASURE = """
import resource, sys, time
import django
django.setup()
from collections import Counter
from django.db import transaction
from importers.wordpress import Options, read_plan_items, source_name
from importers.wordpress_apply import apply_plan
from importers.wxr import WxrChannel
from incidents.auditing import acting_via
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started, cpu = time.perf_counter(), time.process_time()
channel = WxrChannel()
with open(sys.argv[1], "rb") as stream, acting_via("benchmark"), transaction.atomic():
    outcome = apply_plan(
        source_name(SITE), read_plan_items(stream, Options(file_name="bench.xml"), channel)
    )
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from importers.models import SourceKey
kinds = Counter(SourceKey.objects.values_list("kind", flat=True))
import json
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_before_kib": before,
                  "rss_peak_kib": peak, "outcome": dict(outcome), "kinds": dict(kinds)}))
""".replace("SITE", repr(SITE))
HEAD = f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
\t<title>Bench Blog</title>
\t<link>{SITE}</link>
\t<wp:wxr_version>1.2</wp:wxr_version>
\t<wp:base_site_url>{SITE}</wp:base_site_url>
\t<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[geir]]></wp:author_login><wp:author_display_name><![CDATA[Geir]]></wp:author_display_name></wp:author>
\t<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename><![CDATA[news]]></wp:category_nicename><wp:cat_name><![CDATA[News]]></wp:cat_name></wp:category>
\t<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename><![CDATA[status]]></wp:category_nicename><wp:cat_name><![CDATA[Status]]></wp:cat_name></wp:category>
"""
PARAGRAPH = "We are looking into it and will post here as we learn more. " * 3


def _item(n: int, published: datetime, rng: random.Random) -> str:
    """One <item>, as WordPress writes it; published is in UTC."""
    roll = rng.random()
    local = published + CET
    category, title, body = "news", f"News number {n}", f"{PARAGRAPH}\n\nMore in post {n}."
    if roll >= 0.6:
        category = "status"
        incident = roll < 0.9
        state = "Resolved" if incident else "Completed"
        title = f"[{state}] {'Trouble' if incident else 'Maintenance'} number {n}"
        lines, at = [PARAGRAPH], local
        for _ in range(rng.randint(2, 4) if incident else rng.randint(3, 4)):
            at += timedelta(minutes=rng.randint(10, 50))
            lines.append(f"UPDATE {at:%H:%M} CET: Step of post {n}. {PARAGRAPH}")
        body = "\n\n".join(lines)
    slug = f"post-{n}"
    return f"""\t<item>
\t\t<title>{title}</title>
\t\t<link>{SITE}/{local:%Y/%m/%d}/{slug}/</link>
\t\t<dc:creator><![CDATA[geir]]></dc:creator>
\t\t<guid isPermaLink="false">{SITE}/?p={n}</guid>
\t\t<content:encoded><![CDATA[{body}]]></content:encoded>
\t\t<excerpt:encoded><![CDATA[]]></excerpt:encoded>
\t\t<wp:post_id>{n}</wp:post_id>
\t\t<wp:post_date><![CDATA[{local:%Y-%m-%d %H:%M:%S}]]></wp:post_date>
\t\t<wp:post_date_gmt><![CDATA[{published:%Y-%m-%d %H:%M:%S}]]></wp:post_date_gmt>
\t\t<wp:post_name><![CDATA[{slug}]]></wp:post_name>
\t\t<wp:status><![CDATA[publish]]></wp:status>
\t\t<wp:post_type><![CDATA[post]]></wp:post_type>
\t\t<category domain="category" nicename="{category}"><![CDATA[{category.title()}]]></category>
\t\t<category domain="post_tag" nicename="tag-{n % 20}"><![CDATA[Tag {n % 20}]]></category>
\t\t<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_content><![CDATA[Thanks!]]></wp:comment_content></wp:comment>
\t</item>
"""


def generate(path: Path, posts: int, seed: int = 19) -> None:
    """A WXR export of `posts` posts over ten years, written item by item."""
    rng = random.Random(seed)
    first = datetime(2012, 1, 1, 8, tzinfo=UTC)
    step = timedelta(days=3650) / posts
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for n in range(1, posts + 1):
            out.write(_item(n, first + step * n, rng))
        out.write("</channel>\n</rss>\n")


def measure(posts: int, workdir: Path) -> dict[str, Any]:
    export = workdir / f"export-{posts}.xml"
    generate(export, posts)
    figures = measure_import(MEASURE, export, workdir / f"var-{posts}", timeout=1800)
    figures.update(posts=posts, export_bytes=export.stat().st_size)
    return figures


def section(results: dict[str, Any]) -> str:
    runs = results["runs"]
    lines = [
        "### WordPress import",
        "",
        f"{results['date']} · nproc {results['nproc']} · Python {results['python']} · "
        "SQLite, one transaction, `benchmarks/wordpress_import.py`",
        "",
        "| posts | became | export | import (wall) | CPU | per post (wall) | peak RSS (child) "
        "| load before/after |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        became = ", ".join(f"{n:,} {kind}" for kind, n in sorted(run["kinds"].items()))
        lines.append(
            f"| {run['posts']:,} | {became} | {run['export_bytes'] / 1e6:.1f} MB | "
            f"{run['seconds']:.1f} s | {run['cpu_seconds']:.1f} s | "
            f"{run['seconds'] / run['posts'] * 1000:.2f} ms | "
            f"{run['rss_peak_kib'] / 1024:.0f} MiB | {run['load_before'][0]} / "
            f"{run['load_after'][0]} |"
        )
    small, large = runs[0], runs[-1]
    growth = (large["rss_peak_kib"] - small["rss_peak_kib"]) / 1024
    lines += [
        "",
        f"Peak memory grows {growth:+.0f} MiB from {small['posts']:,} to {large['posts']:,} "
        f"posts while the export grows {(large['export_bytes'] - small['export_bytes']) / 1e6:.0f}"
        " MB: the file is read item by item and each item written before the next is read.",
    ]
    return "\n".join(lines)


def in_child(workdir: Path, quick: bool, timeout: float = 1800) -> dict[str, Any]:
    """For run.py: this benchmark in a fresh process."""
    return run_module("wordpress_import", workdir / "wordpress-results.json", quick, timeout)


BENCHMARK = ImportBenchmark(
    "wordpress-import",
    "posts",
    quick_sizes=(100, 500),
    sizes=(1000, 10_000),
    measure=measure,
    section=section,
)
START, END = BENCHMARK.markers


def main(argv: list[str] | None = None) -> int:
    return BENCHMARK.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
