"""Turn instants into the words readers see: "00:45 CET", "9:30 PM" never typed by hand.

Everything is stored in UTC. This module is the one place that picks the zone
(the site's, or the extra zones a maintenance window is also shown in) and
writes its abbreviation, so pages, feeds and emails agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import get_language, gettext, ngettext

# Norwegian bokmål's abbreviated day and month names (CLDR's format forms), Monday first.
# English's are strftime's in the C locale, as the pages have always shown them, spelled out:
# whatever locale the process runs in, and without a strftime per date (pages show thousands).
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_NB_WEEKDAYS = ("man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn.")
_NB_MONTHS = (
    "jan.", "feb.", "mar.", "apr.", "mai", "jun.",
    "jul.", "aug.", "sep.", "okt.", "nov.", "des.",
)  # fmt: skip
_NB_MONTH_NAMES = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip
_EN_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _norwegian() -> bool:
    return get_language() == "nb"


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def site_zone() -> ZoneInfo:
    return zone(settings.SITE_TIME_ZONE)


def in_zone(moment: datetime, tz: tzinfo | None = None) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes have no place here: store and pass aware ones")
    return moment.astimezone(tz or site_zone())


def abbreviation(moment: datetime, tz: ZoneInfo | None = None) -> str:
    return in_zone(moment, tz).tzname() or ""


def clock(moment: datetime, tz: ZoneInfo | None = None) -> str:
    """'00:45 CET'"""
    return _clock(in_zone(moment, tz))


def _clock(local: datetime) -> str:
    return f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"


def day(moment: datetime | date, tz: ZoneInfo | None = None, *, year: bool = True) -> str:
    """'Fri 25 Jan 2013', in Norwegian 'fre. 25. jan. 2013' (in the zone when given a datetime)."""
    return _day(in_zone(moment, tz) if isinstance(moment, datetime) else moment, year=year)


def _day(local: date, *, year: bool = True) -> str:
    if _norwegian():
        text = f"{_NB_WEEKDAYS[local.weekday()]} {local.day}. {_NB_MONTHS[local.month - 1]}"
    else:
        text = f"{_EN_WEEKDAYS[local.weekday()]} {local.day} {_EN_MONTHS[local.month - 1]}"
    return f"{text} {local.year}" if year else text


def month(value: date) -> str:
    """'January 2013', in Norwegian 'januar 2013'."""
    names = _NB_MONTH_NAMES if _norwegian() else _EN_MONTH_NAMES
    return f"{names[value.month - 1]} {value.year}"


def stamp(moment: datetime, tz: ZoneInfo | None = None) -> str:
    """'Fri 25 Jan 2013, 00:45 CET'"""
    local = in_zone(moment, tz)
    return f"{_day(local)}, {_clock(local)}"


def clock_near(moment: datetime, reference: datetime) -> str:
    """'01:15 CET' on the reference's day in the site zone, 'Sat 26 Jan, 01:15 CET' on another."""
    if in_zone(moment).date() == in_zone(reference).date():
        return clock(moment)
    return f"{day(moment, year=False)}, {clock(moment)}"


def next_update_text(promised: datetime, posted: datetime) -> str:
    """'Next update by 01:15 CET', dated when the promise falls on another day than its update."""
    return gettext("Next update by %(moment)s") % {"moment": clock_near(promised, posted)}


def iso_utc(moment: datetime) -> str:
    """'2013-01-24T23:45:00Z': milliseconds at most, the finest HTML's datetime= allows."""
    timespec = "milliseconds" if moment.microsecond else "seconds"
    return in_zone(moment, UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def iso_site(moment: datetime) -> str:
    """'2012-12-20T06:30+01:00': to the minute, so never more fractional digits than HTML allows."""
    return in_zone(moment).isoformat(timespec="minutes")


def moment_text(moment: datetime, tz: ZoneInfo, *, reference: date | None) -> str:
    """'06:30 CET', with the date where it differs from `reference` (see window_text)."""
    local = in_zone(moment, tz)
    text = f"{local:%H:%M} {local.tzname()}"
    if reference is not None and local.date() != reference:
        text = f"{text} {day(local, tz, year=False)}"
    return text


def lead_text(lead: timedelta) -> str:
    """'60 minutes', '2 hours', '1 day 6 hours': how long until something, in whole minutes
    rounded up (a tick a few seconds after the hour still reads as the hour)."""
    minutes = max(1, -(-int(lead.total_seconds()) // 60))
    if minutes <= 90:
        return _minutes(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        ngettext("%(count)d day", "%(count)d days", days) % {"count": days} if days else "",
        ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours} if hours else "",
        _minutes(minutes) if minutes else "",
    ]
    return " ".join(part for part in parts if part)


def _minutes(count: int) -> str:
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


def extra_zone_names() -> list[str]:
    return [name for name in settings.EXTRA_TIME_ZONES if name != settings.SITE_TIME_ZONE]


def window_text(start: datetime, end: datetime, tz: ZoneInfo, *, reference: date | None) -> str:
    """A window in one zone: '06:30–08:30 CET', with dates where they differ from `reference`.

    `reference` is the date the reader already has in front of them (the date
    in the site zone); a zone where the window falls on another day gets its
    date, so '9:30 PM the evening before' is never misread.
    """
    local_start, local_end = in_zone(start, tz), in_zone(end, tz)
    start_zone, end_zone = local_start.tzname(), local_end.tzname()
    start_clock, end_clock = f"{local_start:%H:%M}", f"{local_end:%H:%M}"
    if local_start.date() != local_end.date():
        return (
            f"{day(local_start, tz, year=False)} {start_clock} {start_zone} – "
            f"{day(local_end, tz, year=False)} {end_clock} {end_zone}"
        )
    if start_zone != end_zone:
        text = f"{start_clock} {start_zone} – {end_clock} {end_zone}"
    else:
        text = f"{start_clock}–{end_clock} {start_zone}"
    if reference is not None and local_start.date() != reference:
        text = f"{text} {day(local_start, tz, year=False)}"
    return text


def moment_elsewhere(moment: datetime) -> str:
    """'22:00 UTC / 17:00 EST', with dates where they differ from the site zone's (emails)."""
    reference = in_zone(moment).date()
    return " / ".join(
        moment_text(moment, zone(name), reference=reference) for name in extra_zone_names()
    )


@dataclass(frozen=True)
class WindowInZone:
    zone_name: str
    text: str


def window_everywhere(start: datetime, end: datetime) -> tuple[str, list[WindowInZone]]:
    """The window in the site zone with its date, and in each extra zone."""
    site = site_zone()
    local_start, local_end = in_zone(start, site), in_zone(end, site)
    if local_start.date() == local_end.date():
        main = f"{day(local_start)}, {window_text(start, end, site, reference=None)}"
    else:
        main = f"{stamp(start, site)} – {stamp(end, site)}"
    others = [
        WindowInZone(name, window_text(start, end, zone(name), reference=local_start.date()))
        for name in extra_zone_names()
    ]
    return main, others
