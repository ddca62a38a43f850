"""The day bars of an uptime history, written as HTML in one pass.

A template loop over 90 days per component costs milliseconds; this writes the same
markup with joins. A run of quiet days reads the same in every component's strip (its
markup depends on the dates alone), so it is written once per run of dates and reused.
The bars are a picture (aria-hidden, out of the tab order): what they say is also in text
beside them (`block`), so a reader without a mouse or without sight gets the same, without
90 stops per component. A quiet, fully up day's bar carries no class: the stylesheet draws
any bar so unless a class says otherwise (a quarter less markup on a page of 1,000 bars).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from incidents import timefmt
from incidents.models import Incident
from incidents.models.uptime import NO_DATA, DayUptime, percent_text, status_text
from incidents.models.uptime_strip import OPERATIONAL, Strip

ONE_DAY = timedelta(days=1)
# Any id: the address of incident N is this one's with N in its place.
_SAMPLE_ID = 918273645


@dataclass(frozen=True, slots=True)
class IncidentLink:
    """What a bar says of an incident: its title and its address."""

    title: str
    url: str


def incident_url_pattern() -> str:
    """The address of an incident with `{}` for its id: reversed once per page, not per id."""
    return reverse("incident_detail", args=[_SAMPLE_ID]).replace(str(_SAMPLE_ID), "{}")


Named = Incident | IncidentLink


@lru_cache(maxsize=1024)
def date_label(day: date) -> str:
    return timefmt.day(day)


def day_summary(day: DayUptime) -> str:
    """'Tue 3 Dec 2026: 99.80% uptime, partial outage'"""
    text = f"{date_label(day.day)}: "
    if day.ratio is None and day.status == NO_DATA:
        text += "no data"
    elif day.ratio is None:
        text += f"{status_text(day.status)} all day, not counted"
    else:
        text += f"{percent_text(day.ratio)} uptime"
        if day.status != "operational":
            text += f", {status_text(day.status)}"
    return text


def day_text(day: DayUptime, incidents: Mapping[int, Named]) -> str:
    """The summary and the titles of the day's incidents: a bar's tooltip."""
    text = day_summary(day)
    titles = [incidents[pk].title for pk in day.incident_ids if pk in incidents]
    if titles:
        text += ". Incidents: " + "; ".join(titles)
    return text


def _bar(day: DayUptime, incidents: Mapping[int, Named]) -> str:
    if day.is_quiet:
        return _quiet_bar(day.day, day.status)
    css = f"bar-{day.status}"
    title = escape(day_text(day, incidents))
    linked = [pk for pk in day.incident_ids if pk in incidents]
    if not linked:
        return f'<span class="{css}" title="{title}"></span>'
    href = escape(_url(incidents[linked[0]]))
    return f'<a class="{css} bar-incident" href="{href}" title="{title}" tabindex="-1"></a>'


@lru_cache(maxsize=4096)
def _quiet_bar(day: date, status: str) -> str:
    """A quiet day's bar depends on its date and status alone: the same for every component."""
    if status == NO_DATA:
        return f'<span class="bar-no_data" title="{escape(date_label(day))}: no data"></span>'
    return f'<span title="{escape(date_label(day))}: 100% uptime"></span>'


@lru_cache(maxsize=1024)
def _quiet_run(first: date, last: date, status: str) -> str:
    """The bars of quiet days from `first` to `last` (inclusive) in one status."""
    parts, day = [], first
    while day <= last:
        parts.append(_quiet_bar(day, status))
        day += ONE_DAY
    return "".join(parts)


def _quiet_days(first: date, last: date, strip: Strip) -> list[str]:
    """The untold days from `first` to `last`: no data before and after the covered range."""
    if strip.covered is None:
        return [_quiet_run(first, last, NO_DATA)]
    start, end = strip.covered
    runs = [
        (first, min(last, start - ONE_DAY), NO_DATA),
        (max(first, start), min(last, end), OPERATIONAL),
        (max(first, end + ONE_DAY), last, NO_DATA),
    ]
    return [_quiet_run(a, b, status) for a, b, status in runs if a <= b]


def bars(strip: Strip, incidents: Mapping[int, Named]) -> SafeString:
    parts = ['<div class="bars" aria-hidden="true">']
    cursor, last = strip.days[0], strip.days[-1]
    for day in sorted(strip.told):
        if cursor < day:
            parts += _quiet_days(cursor, day - ONE_DAY, strip)
        parts.append(_bar(strip.told[day], incidents))
        cursor = day + ONE_DAY
    if cursor <= last:
        parts += _quiet_days(cursor, last, strip)
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and address in it is escaped above


AXIS = (
    '<p class="uptime-axis" aria-hidden="true"><span class="axis-90">90 days ago</span>'
    '<span class="axis-60">60 days ago</span><span class="axis-30">30 days ago</span>'
    "<span>Today</span></p>"
)


def _links(day: DayUptime, incidents: Mapping[int, Named]) -> str:
    found = [incidents[pk] for pk in day.incident_ids if pk in incidents]
    return "; ".join(
        f'<a href="{escape(_url(incident))}">{escape(incident.title)}</a>' for incident in found
    )


def _url(incident: Named) -> str:
    if isinstance(incident, IncidentLink):
        return incident.url
    # Reversed once per incident and page, however many days and components name it.
    url: str | None = getattr(incident, "_uptime_url", None)
    if url is None:
        url = incident.get_absolute_url()
        incident._uptime_url = url  # type: ignore[attr-defined]
    return url


def block(
    strip: Strip, incidents: Mapping[int, Named], name: str, *, with_days: bool
) -> SafeString:
    """The bars, the percentage over them, and (`with_days`) the days worth telling in text,
    quiet days folded into a count: what a screen reader or a keyboard reads instead of the
    bars. Written in Python, not a template: a page has a dozen of them."""
    count = strip.count
    if strip.ratio is None:
        total = f"No uptime data for the last {count} days"
    else:
        total = f"<strong>{percent_text(strip.ratio)}</strong> uptime over the last {count} days"
    if not with_days:
        total += " (the worst of the group)"
    parts = ['<div class="uptime">', bars(strip, incidents), AXIS]
    parts.append(f'<p class="uptime-total">{total}</p>')
    notable = strip.notable_days if with_days else []
    if notable:
        told = len(notable)
        summary = f"{told} day{'s' if told != 1 else ''} with incidents or lost uptime"
        if quiet := count - told:
            summary += f", {quiet} quiet"
        items = []
        for day in notable:
            links = _links(day, incidents)
            items.append(f"<li>{escape(day_summary(day))}{'. ' + links if links else ''}</li>")
        parts.append(
            f'<details class="uptime-days"><summary>{summary}'
            f'<span class="visually-hidden"> ({escape(name)})</span></summary>'
            f"<ul>{''.join(items)}</ul></details>"
        )
    elif with_days and strip.ratio is not None:
        parts.append(
            '<p class="quiet uptime-days">No incidents and no lost uptime on any of these days.</p>'
        )
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and address in it is escaped
