"""Times written into a text as tokens, so readers get them computed in every zone.

A writer types `{{time 2012-12-20 06:30-08:30 CET}}`; readers see
"06:30–08:30 CET (05:30–07:30 UTC / 00:30–02:30 EST / 21:30–23:30 PST Wed 19 Dec)",
made by timefmt like every other time on the site. The zone is an IANA name
(Europe/Oslo) or an abbreviation the site's zones use on that date (CET, CEST, EST, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidents import timefmt

EXAMPLE = "{{time 2012-12-20 06:30-08:30 CET}}"
TOKEN_START = "{{time"
# Bounded and without nested repetition, so matching stays linear in the length of a text.
TOKEN = re.compile(r"\{\{time[ \t]([^{}\n]{1,80})\}\}")
FORM = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d)[ \t]+(?P<start>\d{1,2}:\d\d)"
    r"(?:[ \t]*[-–][ \t]*(?P<end>\d{1,2}:\d\d))?[ \t]+(?P<zone>[A-Za-z][\w+/-]{0,40})"
)
ABBREVIATION = re.compile(r"[A-Za-z]{2,5}")
# Abbreviations no zone of the site uses, each read as one zone. The site's own zones come
# first, so on a site in Europe/Oslo "CET" means Oslo's rules.
KNOWN_ABBREVIATIONS = {
    "UTC": "UTC",
    "GMT": "Etc/GMT",
    "BST": "Europe/London",
    "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "EET": "Europe/Helsinki",
    "EEST": "Europe/Helsinki",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "JST": "Asia/Tokyo",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}


class TokenError(ValueError):
    """Why a token is not a time; the message is for the writer."""


@dataclass(frozen=True)
class TimeToken:
    start: datetime  # in UTC
    end: datetime | None
    written_date: date  # the date as typed, which the site-zone words are read against

    def words(self) -> tuple[str, list[str]]:
        """The time in the site zone, and in each extra zone."""
        site = timefmt.site_zone()
        site_date = timefmt.in_zone(self.start, site).date()
        if self.end is None:
            main = timefmt.moment_text(self.start, site, reference=self.written_date)
            return main, [
                timefmt.moment_text(self.start, timefmt.zone(name), reference=site_date)
                for name in timefmt.extra_zone_names()
            ]
        main = timefmt.window_text(self.start, self.end, site, reference=self.written_date)
        return main, [
            timefmt.window_text(self.start, self.end, timefmt.zone(name), reference=site_date)
            for name in timefmt.extra_zone_names()
        ]

    def text(self) -> str:
        """The words readers of plain text get: '06:30–08:30 CET (05:30–07:30 UTC / ...)'."""
        main, others = self.words()
        return f"{main} {in_brackets(others)}" if others else main


def in_brackets(others: list[str]) -> str:
    return f"({' / '.join(others)})"


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise TokenError(f"{text} is not a time of day: use 00:00 to 23:59.")
    return time(hours, minutes)


def _named_zone(name: str) -> ZoneInfo:
    try:
        return timefmt.zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TokenError(
            f"“{name}” is not a time zone: use a name like Europe/Oslo or an abbreviation "
            "like CET or UTC."
        ) from None


def _readings(local: datetime, tz: ZoneInfo) -> list[datetime]:
    """The instants a wall-clock time names in a zone: none in a skipped hour, two in a
    repeated one."""
    found: dict[timedelta | None, datetime] = {}
    for fold in (0, 1):
        aware = local.replace(tzinfo=tz, fold=fold)
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local:
            found.setdefault(aware.utcoffset(), aware)
    return sorted(found.values(), key=lambda moment: moment.astimezone(UTC))


def _site_zones() -> list[ZoneInfo]:
    return [timefmt.site_zone(), *(timefmt.zone(name) for name in timefmt.extra_zone_names())]


def _by_abbreviation(local: datetime, abbreviation: str) -> datetime:
    upper = abbreviation.upper()
    zones = _site_zones()
    if upper in KNOWN_ABBREVIATIONS:
        zones.append(timefmt.zone(KNOWN_ABBREVIATIONS[upper]))
    for tz in zones:
        for moment in _readings(local, tz):
            if moment.tzname() == upper:
                return moment
    for tz in zones:
        seasons = [datetime(local.year, month, 1, 12, tzinfo=tz).tzname() for month in (1, 7)]
        if upper in seasons:
            readings = _readings(local, tz)
            if not readings:
                raise TokenError(_skipped(local, tz))
            names = " or ".join(dict.fromkeys(moment.tzname() or "" for moment in readings))
            raise TokenError(
                f"At {local:%H:%M} on {local:%d %b %Y} {tz.key} is on {names}, not {upper}."
            )
    raise TokenError(
        f"“{abbreviation}” is not a zone this site knows: use a name like Europe/Oslo, "
        f"or one of {', '.join(sorted(KNOWN_ABBREVIATIONS))}."
    )


def _skipped(local: datetime, tz: ZoneInfo) -> str:
    return (
        f"{local:%H:%M} does not exist on {local:%d %b %Y} in {tz.key}: the clocks skip that hour."
    )


def _by_name(local: datetime, tz: ZoneInfo) -> datetime:
    readings = _readings(local, tz)
    if not readings:
        raise TokenError(_skipped(local, tz))
    if len(readings) > 1:
        names = " or ".join(moment.tzname() or "" for moment in readings)
        raise TokenError(
            f"{local:%H:%M} happens twice on {local:%d %b %Y} in {tz.key}: "
            f"write {names} instead of the zone's name."
        )
    return readings[0]


def _end(start: datetime, local_end: datetime, tz: ZoneInfo) -> datetime:
    """The end of a range: the first reading of its clock after the start (next day if need be)."""
    if local_end <= start.astimezone(tz).replace(tzinfo=None):
        local_end += timedelta(days=1)
    later = [moment for moment in _readings(local_end, tz) if moment.astimezone(UTC) > start]
    if not later:
        raise TokenError(_skipped(local_end, tz))
    return later[0].astimezone(UTC)


def parse(inner: str) -> TimeToken:
    """What is between `{{time ` and `}}`: 'YYYY-MM-DD HH:MM[-HH:MM] ZONE'."""
    form = FORM.fullmatch(inner.strip())
    if form is None:
        raise TokenError(f"Write a time as {EXAMPLE} (date, time or range, zone).")
    try:
        written_date = date.fromisoformat(form["date"])
    except ValueError:
        raise TokenError(f"{form['date']} is not a date.") from None
    local = datetime.combine(written_date, _clock(form["start"]))
    zone_text = form["zone"]
    if "/" not in zone_text and ABBREVIATION.fullmatch(zone_text):
        local_start = _by_abbreviation(local, zone_text)
    else:
        local_start = _by_name(local, _named_zone(zone_text))
    # In UTC from here: Python never finds a time in a repeated hour equal to one in another
    # zone, so the window comparisons would fail in the night the clocks go back.
    start = local_start.astimezone(UTC)
    end = None
    if form["end"]:
        if form["end"] == form["start"]:
            raise TokenError(f"The range {form['start']}–{form['end']} ends when it starts.")
        local_end = datetime.combine(written_date, _clock(form["end"]))
        tz = local_start.tzinfo
        assert isinstance(tz, ZoneInfo)
        end = _end(start, local_end, tz)
    return TimeToken(start=start, end=end, written_date=written_date)


def tokens(text: str) -> Iterator[tuple[re.Match[str], TimeToken | TokenError]]:
    for match in TOKEN.finditer(text or ""):
        try:
            yield match, parse(match[1])
        except TokenError as error:
            yield match, error


def token_problems(text: str) -> list[str]:
    """What is wrong with each token in a text, quoting it, for the writer to fix."""
    problems = []
    well_formed = set()
    for match, result in tokens(text):
        well_formed.add(match.start())
        if isinstance(result, TokenError):
            problems.append(f"{match[0]}: {result}")
    position = (text or "").find(TOKEN_START)
    while position != -1:
        if position not in well_formed:
            snippet = text[position : position + 40].split("\n", 1)[0]
            problems.append(f"“{snippet}” is not a time: write it as {EXAMPLE}.")
        position = text.find(TOKEN_START, position + 1)
    return problems


def times_in(text: str) -> list[TimeToken]:
    """The well-formed tokens of a text."""
    return [result for _match, result in tokens(text) if isinstance(result, TimeToken)]
