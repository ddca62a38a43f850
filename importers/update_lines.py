"""Finding the timed updates in a WordPress status post.

Runbox wrote them as paragraphs that start with a time and a zone abbreviation:
"UPDATE 07:10 AM CET: ...", "UPDATE 00:45 CET: ...", "8:05 AM CET: ...",
"UPDATE 12.12.2012 7 AM CET: ...". The abbreviation gives the offset; the post's date (or
a date written in the line) gives the day. A paragraph without a zone is never given one:
it stays part of the text before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

ZONE_OFFSETS_HOURS = {
    "UTC": 0,
    "GMT": 0,
    "WET": 0,
    "BST": 1,
    "WEST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
}

_DATE = r"(?P<{name}>\d{{1,2}}\.\d{{1,2}}\.\d{{4}})"
UPDATE_LINE = re.compile(
    r"^\s*(?:<(?:strong|b)>\s*)?"
    r"(?:(?P<word>update)d?\s*)?" + _DATE.format(name="date_before") + r"?\s*"
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<meridiem>[AaPp]\.?[Mm]\.?)?\s+"
    r"(?P<zone>" + "|".join(sorted(ZONE_OFFSETS_HOURS, key=len, reverse=True)) + r")\b"
    r"\s*" + _DATE.format(name="date_after") + r"?"
    r"\s*:\s*(?:</(?:strong|b)>)?\s*(?P<text>.*)$",
    re.IGNORECASE | re.DOTALL,
)
# Where the first timed line may sit before the post's own time and still be that day.
EARLIER_THAN_THE_POST = timedelta(hours=1)


@dataclass(frozen=True)
class TimedUpdate:
    at: datetime  # aware, in the zone the line named
    written: str  # the time as the post wrote it, for the review ("07:10 AM CET")
    body: str


@dataclass(frozen=True)
class SplitPost:
    intro: str
    updates: list[TimedUpdate]


def paragraphs(content: str) -> list[str]:
    return [
        part.strip() for part in re.split(r"\n\s*\n", content.replace("\r\n", "\n")) if part.strip()
    ]


def _clock(match: re.Match[str]) -> time | None:
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    meridiem = (match["meridiem"] or "").replace(".", "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _written_day(match: re.Match[str]) -> date | None:
    text = match["date_before"] or match["date_after"]
    if not text:
        return None
    day, month, year = (int(part) for part in text.split("."))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _timed(paragraph: str, previous: datetime) -> TimedUpdate | None:
    match = UPDATE_LINE.match(paragraph)
    # A bare "7 CET: ..." is too likely to be something else: without the word UPDATE,
    # the time must have its minutes.
    if match is None or not (match["word"] or match["minute"]):
        return None
    clock = _clock(match)
    if clock is None:
        return None
    zone = timezone(
        timedelta(hours=ZONE_OFFSETS_HOURS[match["zone"].upper()]), match["zone"].upper()
    )
    written_day = _written_day(match)
    day = written_day or previous.astimezone(zone).date()
    at = datetime.combine(day, clock, tzinfo=zone)
    if written_day is None and at < previous:
        at += timedelta(days=1)  # past midnight since the update before
    written = re.sub(r"</?(?:strong|b)>", "", paragraph[: match.start("text")])
    written = re.sub(r"^\s*update\s*", "", written, flags=re.IGNORECASE).strip().rstrip(":")
    return TimedUpdate(at=at, written=written, body=match["text"].strip())


def split_updates(content: str, posted_at: datetime) -> SplitPost:
    """The text before the first timed update, and each timed update with the text after it."""
    intro: list[str] = []
    updates: list[TimedUpdate] = []
    previous = posted_at - EARLIER_THAN_THE_POST
    for paragraph in paragraphs(content):
        timed = _timed(paragraph, previous)
        if timed is not None:
            updates.append(timed)
            previous = timed.at
        elif updates:
            last = updates[-1]
            updates[-1] = TimedUpdate(last.at, last.written, f"{last.body}\n\n{paragraph}".strip())
        else:
            intro.append(paragraph)
    return SplitPost(intro="\n\n".join(intro), updates=updates)
