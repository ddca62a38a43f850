"""The day bars of an uptime history, written as HTML in one pass.

A template loop over 90 days per component costs milliseconds; this writes the same
markup with joins. A run of quiet days reads the same in every component's strip (its
markup depends on the dates alone), so the window's quiet bars are written once per status
and any run of them is a slice of that.
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
from itertools import accumulate

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from incidents import timefmt
from incidents.models import Incident
from incidents.models.uptime import NO_DATA, DayUptime, percent_text, status_text
from incidents.models.uptime_strip import OPERATIONAL, Strip, quiet_day
from incidents.relative_links import relative_path

ONE_DAY = timedelta(days=1)
# Any id: the address of incident N is this one's with N in its place.
_SAMPLE_ID = 918273645


@dataclass(frozen=True, slots=True)
class IncidentLink:
    """What a bar says of an incident: its title (and, by its id, its address)."""

    pk: int
    title: str
    language: str = ""
    translations: Mapping[str, Mapping[str, str]] | None = None

    def localized(self, field: str) -> str:
        """The title in the page's language where staff gave one (as Incident.localized)."""
        language = get_language()
        if language != self.language and self.translations:
            translated = self.translations.get(language, {}).get(field)
            if translated:
                return translated
        return self.title


Named = Incident | IncidentLink


def incident_links(page_path: str | None) -> str:
    """The address of an incident with `{}` for its id, relative to the page at `page_path`
    (as the relative-links middleware would make it; absolute without a page), escaped for
    an attribute: reversed once per strip, not per bar."""
    url = reverse("incident_detail", args=[_SAMPLE_ID])
    if page_path is not None:
        url = relative_path(url, page_path)
    return escape(url.replace(str(_SAMPLE_ID), "{}"))


@lru_cache(maxsize=1024)
def date_label(day: date, language: str | None) -> str:
    """The day as a bar's tooltip names it (memoised per language: `language` is the key)."""
    return timefmt.day(day)


@lru_cache(maxsize=4096)
def _summary(day: date, status: str, ratio: float | None, language: str | None) -> str:
    """'Tue 3 Dec 2026: 99.80% uptime, partial outage', escaped for HTML. The same day reads
    the same in its bar, in the text list and in its group's strip (memoised per language)."""
    when = date_label(day, language)
    if ratio is None and status == NO_DATA:
        text = gettext("%(day)s: no data") % {"day": when}
    elif ratio is None:
        text = gettext("%(day)s: %(status)s all day, not counted") % {
            "day": when,
            "status": status_text(status),
        }
    elif status != "operational":
        text = gettext("%(day)s: %(percent)s uptime, %(status)s") % {
            "day": when,
            "percent": percent_text(ratio),
            "status": status_text(status),
        }
    else:
        text = gettext("%(day)s: %(percent)s uptime") % {
            "day": when,
            "percent": percent_text(ratio),
        }
    return escape(text)


def forget_written_days() -> None:
    """Empty the memos of day texts and quiet days (they depend on dates and code alone)."""
    for memo in (date_label, _summary, _quiet_bar, _quiet_strip, quiet_day, axis):
        memo.cache_clear()


class Writer:
    """Writes the strips of one page: the incidents of a day named once (titles escaped,
    addresses from one pattern: `links`, `incident_links`), however many bars and lists name
    them."""

    def __init__(self, incidents: Mapping[int, Named], links: str) -> None:
        self.incidents = incidents
        self.links = links
        self._named: dict[tuple[int, ...], tuple[str, str, str]] = {}

    def named(self, ids: tuple[int, ...]) -> tuple[str, str, str]:
        """The known ones of these incidents: their escaped titles for a tooltip, the first
        one's address ("" if none is known), and a link to each for the text list."""
        found = self._named.get(ids)
        if found is None:
            known = [pk for pk in ids if pk in self.incidents]
            titles = [escape(self.incidents[pk].localized("title")) for pk in known]
            found = self._named[ids] = (
                "; ".join(titles),
                self.links.format(known[0]) if known else "",
                "; ".join(
                    f'<a href="{self.links.format(pk)}">{title}</a>'
                    for pk, title in zip(known, titles, strict=True)
                ),
            )
        return found

    def bar(self, day: DayUptime) -> str:
        if day.is_quiet:
            return _quiet_bar(day.day, day.status, get_language())
        title = _summary(day.day, day.status, day.ratio, get_language())
        if day.incident_ids:
            titles, href, _ = self.named(day.incident_ids)
            if href:
                said = gettext("%(day)s. Incidents: %(titles)s") % {"day": title, "titles": titles}
                return (
                    f'<a class="bar-{day.status} bar-incident" href="{href}" '
                    f'title="{said}" tabindex="-1"></a>'
                )
        return f'<span class="bar-{day.status}" title="{title}"></span>'

    def day_item(self, day: DayUptime) -> str:
        """The day in the text list: its summary and links to its incidents."""
        links = self.named(day.incident_ids)[2] if day.incident_ids else ""
        summary = _summary(day.day, day.status, day.ratio, get_language())
        return f"<li>{summary}{'. ' + links if links else ''}</li>"


@lru_cache(maxsize=4096)
def _quiet_bar(day: date, status: str, language: str | None) -> str:
    """A quiet day's bar depends on its date and status alone (and the reader's language):
    the same for every component."""
    if status == NO_DATA:
        return f'<span class="bar-no_data" title="{_summary(day, NO_DATA, None, language)}"></span>'
    return f'<span title="{_summary(day, OPERATIONAL, 1.0, language)}"></span>'


@lru_cache(maxsize=64)
def _quiet_strip(
    first: date, count: int, status: str, language: str | None
) -> tuple[str, tuple[int, ...]]:
    """The bars of `count` quiet days from `first` in one status, and where each begins (and,
    last, where they end): the bars of any run of those days are one slice of it."""
    written = [_quiet_bar(first + timedelta(days=n), status, language) for n in range(count)]
    return "".join(written), tuple(accumulate(map(len, written), initial=0))


class _QuietDays:
    """A strip's untold days by their place in it: no data before and after the covered
    range, fully up inside it."""

    __slots__ = ("high", "low", "none", "none_at", "up", "up_at")

    def __init__(self, strip: Strip) -> None:
        first, count = strip.days[0], strip.count
        language = get_language()
        self.up, self.up_at = _quiet_strip(first, count, OPERATIONAL, language)
        self.none, self.none_at = _quiet_strip(first, count, NO_DATA, language)
        if strip.covered is None:
            self.low = self.high = count
        else:
            self.low = (strip.covered[0] - first).days
            self.high = (strip.covered[1] - first).days + 1

    def add(self, parts: list[str], start: int, end: int) -> None:
        """The bars of the days in places start..end-1."""
        low, high = self.low, self.high
        if start < low:
            parts.append(self.none[self.none_at[start] : self.none_at[min(end, low)]])
        if start < high and end > low:
            a, b = max(start, low), min(end, high)
            parts.append(self.up[self.up_at[a] : self.up_at[b]])
        if end > high:
            parts.append(self.none[self.none_at[max(start, high)] : self.none_at[end]])


def bars(strip: Strip, writer: Writer) -> SafeString:
    parts = ['<div class="bars" aria-hidden="true">']
    quiet = _QuietDays(strip)
    first, cursor = strip.days[0], 0
    told = strip.told
    for day in sorted(told):
        place = (day - first).days
        if cursor < place:
            quiet.add(parts, cursor, place)
        parts.append(writer.bar(told[day]))
        cursor = place + 1
    if cursor < strip.count:
        quiet.add(parts, cursor, strip.count)
    parts.append("</div>")
    return SafeString("".join(parts))  # every text and address in it is escaped above


@lru_cache(maxsize=8)
def axis(language: str | None) -> str:
    """The bars' axis labels (in the reader's language: `language` is the memo's key)."""
    ago = [
        escape(ngettext("%(days)d day ago", "%(days)d days ago", n) % {"days": n})
        for n in (90, 60, 30)
    ]
    today = escape(gettext("Today"))
    return (
        f'<p class="uptime-axis" aria-hidden="true"><span class="axis-90">{ago[0]}</span>'
        f'<span class="axis-60">{ago[1]}</span><span class="axis-30">{ago[2]}</span>'
        f"<span>{today}</span></p>"
    )


def block(strip: Strip, writer: Writer, name: str, *, with_days: bool) -> SafeString:
    """The bars, the percentage over them, and (`with_days`) the days worth telling in text,
    quiet days folded into a count: what a screen reader or a keyboard reads instead of the
    bars. Written in Python, not a template: a page has a dozen of them."""
    count = strip.count
    if strip.ratio is None and with_days:
        total = ngettext(
            "No uptime data for the last %(days)d day",
            "No uptime data for the last %(days)d days",
            count,
        ) % {"days": count}
    elif strip.ratio is None:
        total = ngettext(
            "No uptime data for the last %(days)d day (the worst of the group)",
            "No uptime data for the last %(days)d days (the worst of the group)",
            count,
        ) % {"days": count}
    elif with_days:
        total = ngettext(
            "%(percent)s uptime over the last %(days)d day",
            "%(percent)s uptime over the last %(days)d days",
            count,
        ) % {"percent": f"<strong>{percent_text(strip.ratio)}</strong>", "days": count}
    else:
        total = ngettext(
            "%(percent)s uptime over the last %(days)d day (the worst of the group)",
            "%(percent)s uptime over the last %(days)d days (the worst of the group)",
            count,
        ) % {"percent": f"<strong>{percent_text(strip.ratio)}</strong>", "days": count}
    parts = ['<div class="uptime">', bars(strip, writer), axis(get_language())]
    parts.append(f'<p class="uptime-total">{total}</p>')
    notable = strip.notable_days if with_days else []
    if notable:
        told = len(notable)
        quiet = count - told
        if quiet:
            summary = ngettext(
                "%(told)d day with incidents or lost uptime, %(quiet)d quiet",
                "%(told)d days with incidents or lost uptime, %(quiet)d quiet",
                told,
            ) % {"told": told, "quiet": quiet}
        else:
            summary = ngettext(
                "%(told)d day with incidents or lost uptime",
                "%(told)d days with incidents or lost uptime",
                told,
            ) % {"told": told}
        items = [writer.day_item(day) for day in notable]
        parts.append(
            f'<details class="uptime-days"><summary>{escape(summary)}'
            f'<span class="visually-hidden"> ({escape(name)})</span></summary>'
            f"<ul>{''.join(items)}</ul></details>"
        )
    elif with_days and strip.ratio is not None:
        quiet_text = escape(gettext("No incidents and no lost uptime on any of these days."))
        parts.append(f'<p class="quiet uptime-days">{quiet_text}</p>')
    parts.append("</div>")
    return SafeString("".join(parts))  # every text and address in it is escaped
