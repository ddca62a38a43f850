from __future__ import annotations

import html
from datetime import date, datetime
from typing import Protocol

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from incidents import timefmt
from incidents.markup import render_markdown
from incidents.models import ComponentStatus


class _Posted(Protocol):
    """An incident or maintenance update (only incident updates promise a next one)."""

    @property
    def posted_at(self) -> datetime: ...


class _Window(Protocol):
    """A maintenance (the notice mails show its window)."""

    @property
    def scheduled_start(self) -> datetime: ...

    @property
    def scheduled_end(self) -> datetime: ...


register = template.Library()

_FORMATS = {
    "clock": timefmt.clock,
    "stamp": timefmt.stamp,
    "day": timefmt.day,
}


@register.filter
def time_el(moment: datetime | None, style: str = "stamp") -> SafeString | str:
    """<time datetime="…Z">Fri 25 Jan 2013, 00:45 CET</time>; JS adds the reader's own time."""
    if moment is None:
        return ""
    # Built by hand, not by format_html: a page shows dozens, and both parts are our own
    # words and digits (escaped all the same).
    words = html.escape(_FORMATS[style](moment), quote=False)
    return mark_safe(f'<time datetime="{timefmt.iso_utc(moment)}" data-local>{words}</time>')  # noqa: S308


@register.filter
def next_update_el(update: _Posted) -> SafeString | str:
    """'Next update by <time>01:15 CET</time>' for an update that promises one."""
    promised = getattr(update, "next_update_by", None)
    if promised is None:
        return ""
    moment = format_html(
        '<time datetime="{}" data-local>{}</time>',
        timefmt.iso_utc(promised),
        timefmt.clock_near(promised, update.posted_at),
    )
    # The words in the page's language, escaped; the time element put in as it is.
    return mark_safe(escape(gettext("Next update by %(moment)s")) % {"moment": moment})  # noqa: S308


@register.filter
def day_heading(value: date) -> str:
    return timefmt.day(value)


@register.filter
def month_heading(value: date) -> str:
    return timefmt.month(value)


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


@register.inclusion_tag("incidents/_window.html")
def maintenance_window(start: datetime, end: datetime) -> dict[str, object]:
    main, others = timefmt.window_everywhere(start, end)
    return {
        "main": main,
        "others": others,
        "start_iso": timefmt.iso_utc(start),
        "end_iso": timefmt.iso_utc(end),
    }


@register.simple_tag
def window_inline(start: datetime, end: datetime) -> SafeString:
    """The window in the site zone, for a sentence: <time>Thu 1 Mar 2040, 06:00–07:00 CET</time>."""
    main, _others = timefmt.window_everywhere(start, end)
    return format_html('<time datetime="{}" data-local>{}</time>', timefmt.iso_utc(start), main)


@register.filter
def duration_text(value: object) -> str:
    """'2 h 15 min' for a timedelta; nothing for no duration or a negative one."""
    if not hasattr(value, "total_seconds") or value.total_seconds() < 0:
        return ""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        pgettext("duration", "%(days)d d") % {"days": days} if days else "",
        pgettext("duration", "%(hours)d h") % {"hours": hours} if hours else "",
        pgettext("duration", "%(minutes)d min") % {"minutes": minutes} if minutes else "",
    ]
    return " ".join(p for p in parts if p) or gettext("less than a minute")


@register.filter
def component_status_label(value: str) -> str:
    try:
        return ComponentStatus(value).label.lower()
    except ValueError:
        return value


@register.filter
def window_lines(maintenance: _Window) -> str:
    """A maintenance window in the site zone and every extra zone, on one line (emails)."""
    main, others = timefmt.window_everywhere(
        maintenance.scheduled_start,
        maintenance.scheduled_end,
    )
    return " / ".join([main, *(other.text for other in others)])


@register.filter(name="page_path")
def page_path_filter(first_page: str, number: int) -> str:
    from incidents.pages import page_path

    return page_path(first_page, int(number))
