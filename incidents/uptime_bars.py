"""The day bars of an uptime history, written as HTML in one pass.

A template loop over 90 days per component costs milliseconds; this writes the same
markup with a join, and a quiet day's bar (the same for every component) once.
The bars are a picture (aria-hidden, out of the tab order): what they say is also in text
beside them (`block`), so a reader without a mouse or without sight gets the same, without
90 stops per component.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from incidents import timefmt
from incidents.models import Incident
from incidents.models.uptime import NO_DATA, DayUptime, UptimeHistory, percent_text, status_text


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


def day_text(day: DayUptime, incidents: Mapping[int, Incident]) -> str:
    """The summary and the titles of the day's incidents: a bar's tooltip."""
    text = day_summary(day)
    titles = [incidents[pk].title for pk in day.incident_ids if pk in incidents]
    if titles:
        text += ". Incidents: " + "; ".join(titles)
    return text


def _bar(day: DayUptime, incidents: Mapping[int, Incident]) -> str:
    css = f"bar bar-{day.status}"
    title = escape(day_text(day, incidents))
    linked = [pk for pk in day.incident_ids if pk in incidents]
    if not linked:
        return f'<span class="{css}" title="{title}"></span>'
    href = escape(_url(incidents[linked[0]]))
    return f'<a class="{css} bar-incident" href="{href}" title="{title}" tabindex="-1"></a>'


@lru_cache(maxsize=4096)
def _quiet_bar(day: date, status: str) -> str:
    """A quiet day's bar depends on its date and status alone: the same for every component."""
    text = "no data" if status == NO_DATA else "100% uptime"
    return f'<span class="bar bar-{status}" title="{escape(date_label(day))}: {text}"></span>'


def bars(history: UptimeHistory, incidents: Mapping[int, Incident]) -> SafeString:
    parts = [
        _quiet_bar(day.day, day.status) if day.is_quiet else _bar(day, incidents)
        for day in history.days
    ]
    markup = f'<div class="bars" aria-hidden="true">{"".join(parts)}</div>'
    return mark_safe(markup)  # noqa: S308 - every text and address in it is escaped above


AXIS = (
    '<p class="uptime-axis" aria-hidden="true"><span class="axis-90">90 days ago</span>'
    '<span class="axis-60">60 days ago</span><span class="axis-30">30 days ago</span>'
    "<span>Today</span></p>"
)


def _links(day: DayUptime, incidents: Mapping[int, Incident]) -> str:
    found = [incidents[pk] for pk in day.incident_ids if pk in incidents]
    return "; ".join(
        f'<a href="{escape(_url(incident))}">{escape(incident.title)}</a>' for incident in found
    )


def _url(incident: Incident) -> str:
    # Reversed once per incident and page, however many days and components name it.
    url: str | None = getattr(incident, "_uptime_url", None)
    if url is None:
        url = incident.get_absolute_url()
        incident._uptime_url = url  # type: ignore[attr-defined]
    return url


def block(
    history: UptimeHistory, incidents: Mapping[int, Incident], name: str, *, with_days: bool
) -> SafeString:
    """The bars, the percentage over them, and (`with_days`) the days worth telling in text,
    quiet days folded into a count: what a screen reader or a keyboard reads instead of the
    bars. Written in Python, not a template: a page has a dozen of them."""
    count = len(history.days)
    if history.ratio is None:
        total = f"No uptime data for the last {count} days"
    else:
        total = f"<strong>{percent_text(history.ratio)}</strong> uptime over the last {count} days"
    if not with_days:
        total += " (the worst of the group)"
    parts = ['<div class="uptime">', bars(history, incidents), AXIS]
    parts.append(f'<p class="uptime-total">{total}</p>')
    notable = history.notable_days if with_days else []
    if notable:
        told = len(notable)
        summary = f"{told} day{'s' if told != 1 else ''} with incidents or lost uptime"
        if history.quiet_count:
            summary += f", {history.quiet_count} quiet"
        items = []
        for day in notable:
            links = _links(day, incidents)
            items.append(f"<li>{escape(day_summary(day))}{'. ' + links if links else ''}</li>")
        parts.append(
            f'<details class="uptime-days"><summary>{summary}'
            f'<span class="visually-hidden"> ({escape(name)})</span></summary>'
            f"<ul>{''.join(items)}</ul></details>"
        )
    elif with_days and history.ratio is not None:
        parts.append(
            '<p class="quiet uptime-days">No incidents and no lost uptime on any of these days.</p>'
        )
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and address in it is escaped
