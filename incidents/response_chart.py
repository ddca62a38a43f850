"""A probe's response times as a small SVG drawn on the server (no script, no library).

The picture is labelled for what it is; the numbers it draws are also given in text
and in a table beside it (templates/incidents/_response_times.html).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from incidents import timefmt
from incidents.models.probe_times import ProbeTimes

WIDTH, HEIGHT = 600, 160
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 22


def _scale_top(highest: float) -> float:
    """A round number of milliseconds at or above the highest value."""
    for step in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 60000):
        if highest <= step:
            return float(step)
    return highest


def chart(times: ProbeTimes, start: datetime, end: datetime, chart_id: str) -> SafeString:
    measured = times.measured
    highest = max((h.p95_ms or h.median_ms or 0.0) for h in measured) if measured else 0.0
    top = _scale_top(max(highest, 1.0))
    span = (end - start).total_seconds()
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: datetime) -> float:
        return LEFT + plot_w * (moment - start).total_seconds() / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    def line(values: list[tuple[datetime, float]]) -> str:
        return " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in values)

    middle = timedelta(minutes=30)
    median = [(h.hour + middle, h.median_ms) for h in measured if h.median_ms is not None]
    p95 = [(h.hour + middle, h.p95_ms) for h in measured if h.p95_ms is not None]
    title = escape(
        gettext("Response times of %(probe)s, %(start)s to %(end)s")
        % {"probe": times.probe.name, "start": timefmt.stamp(start), "end": timefmt.stamp(end)}
    )
    description = escape(
        gettext("Median and 95th percentile per hour; the same figures are in the table below.")
    )
    now = escape(gettext("now"))
    parts = [
        f'<svg class="response-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{title}</title>',
        f'<desc id="{chart_id}-desc">{description}</desc>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{top:g} ms</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end">0</text>',
        f'<text class="tick" x="{LEFT}" y="{HEIGHT - 4}">{escape(timefmt.stamp(start))}</text>',
        f'<text class="tick" x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end">{now}</text>',
    ]
    if p95:
        parts.append(f'<polyline class="p95" points="{line(p95)}"/>')
    if median:
        parts.append(f'<polyline class="median" points="{line(median)}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers, and text escaped above
