from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django import template
from django.conf import settings
from django.template import Context
from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from incidents.models.probe_times import ProbeTimes
from incidents.models.uptime import UptimeHistory, percent_text
from incidents.models.uptime_strip import Strip
from incidents.response_chart import chart
from incidents.uptime_bars import Named, Writer, block, incident_links

register = template.Library()
WRITER = "uptime_writer"


@register.simple_tag(takes_context=True)
def uptime_block(
    context: Context,
    history: Strip | UptimeHistory | None,
    incidents: Mapping[int, Named],
    name: str,
    *,
    with_days: bool = True,
) -> SafeString:
    """A history's bars, its percentage, and its notable days in text (quiet days folded)."""
    if history is None:
        return SafeString("")
    strip = history if isinstance(history, Strip) else Strip.from_history(history)
    # One writer for the page's strips (the render context lives as long as its template).
    writer = context.render_context.get(WRITER)
    if writer is None or writer.incidents is not incidents:
        request = context.get("request")
        # Links written relative to the page, as the relative-links middleware would.
        links = incident_links(request.path if request is not None else None)
        writer = context.render_context[WRITER] = Writer(incidents, links)
    return block(strip, writer, name, with_days=with_days)


@register.filter
def percent(ratio: float | None) -> str:
    return percent_text(ratio)


@register.filter
def weight(value: float) -> str:
    """0.3 -> '30%' ('30 %' in Norwegian)"""
    number = f"{round(value * 100, 2):g}".replace(".", str(formats.get_format("DECIMAL_SEPARATOR")))
    return gettext("%(percent)s%%") % {"percent": number}


@register.simple_tag
def site_time_zone() -> str:
    return settings.SITE_TIME_ZONE


@register.simple_tag
def response_chart(times: ProbeTimes, start: datetime, end: datetime) -> SafeString:
    return chart(times, start, end, f"chart-{times.probe.pk}")


@register.filter
def ms(value: float | None) -> str:
    """1234.5 -> '1,235 ms' ('1 235 ms' in Norwegian)"""
    if value is None:
        return "–"
    return f"{formats.number_format(round(value), 0, force_grouping=True)} ms"
