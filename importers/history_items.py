"""What a Statuspage or Cachet history becomes before it is written: plain items, one shape.

Each reader (`statuspage.py`, `cachet.py`) turns its source into these; `history_writer.py`
writes them through the actions. Times are aware by the time they get here: a source time
without a zone is read in the zone the importer was given (`--zone`), never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from importers import errors
from incidents.clean_text import cleaned


class SourceError(errors.SourceError):
    """The importers' one error, for items named by a single place ("incidents.json, item 3")."""

    def __init__(self, where: str, problem: str):
        super().__init__(where, "", problem)


def read_time(value: object, zone: ZoneInfo | None, where: str) -> datetime:
    """An ISO 8601 time with its offset; one without is read in `zone`, or refused."""
    if not isinstance(value, str) or not value.strip():
        raise SourceError(where, f"expected a time, found {value!r}")
    text = value.strip()
    if text.endswith((" UTC", " GMT")):  # as some CSV exports write it
        text = text[:-4] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SourceError(where, f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        if zone is None:
            raise SourceError(
                where,
                f"the time {value!r} carries no zone; say which zone the source's times are "
                "in with --zone (for example --zone Europe/Oslo)",
            )
        moment = moment.replace(tzinfo=zone)
    return moment


def clean(value: object, where: str) -> str:
    """Text as staff would have to type it: newlines normalised, control characters refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SourceError(where, f"expected text, found {type(value).__name__}")
    try:
        return cleaned(value)
    except ValueError as problem:
        raise SourceError(where, str(problem)) from None


def optional_time(value: object, zone: ZoneInfo | None, where: str) -> datetime | None:
    return None if value in (None, "") else read_time(value, zone, where)


def known(value: object, allowed: Mapping[Any, str], what: str, where: str) -> str:
    """The value `allowed` maps `value` to, or an error listing what was expected."""
    if value not in allowed:
        expected = ", ".join(repr(key) for key in allowed)
        raise SourceError(where, f"unknown {what} {value!r} (expected one of {expected})")
    return allowed[value]


@dataclass(frozen=True)
class GroupItem:
    source_id: str
    name: str
    description: str = ""
    position: int = 0


@dataclass(frozen=True)
class ComponentItem:
    source_id: str
    name: str
    status: str
    description: str = ""
    group_id: str | None = None
    position: int = 0
    showcase: bool = True
    only_show_if_degraded: bool = False


@dataclass(frozen=True)
class UpdateItem:
    source_id: str
    status: str
    body: str
    posted_at: datetime
    # Component source id -> the status this update gave it.
    component_statuses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IncidentItem:
    source_id: str
    where: str
    title: str
    impact: str
    started_at: datetime
    updates: list[UpdateItem]
    # Every component the incident names (some only in its list, with no update moving them).
    component_ids: list[str] = field(default_factory=list)
    # Why the item is not imported (counted in the report), if it is not.
    skipped: str = ""


@dataclass(frozen=True)
class MaintenanceItem:
    source_id: str
    where: str
    title: str
    body: str
    scheduled_start: datetime
    scheduled_end: datetime
    created_at: datetime
    updates: list[UpdateItem]
    component_ids: list[str] = field(default_factory=list)


@dataclass
class History:
    """One source's items; incidents and maintenance are iterators, read as they are written."""

    source: str
    groups: list[GroupItem]
    components: list[ComponentItem]
    incidents: Iterable[IncidentItem]
    maintenance: Iterable[MaintenanceItem]
    # The files the components were read from, for errors about them.
    components_from: str = ""
