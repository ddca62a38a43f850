"""What each public page shows, gathered in a fixed number of queries.

Views stay thin: they validate the request, call one of these, and render.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from django.core.exceptions import BadRequest
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connection
from django.db.models import CharField, F, Q, QuerySet, Value
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_noop

from incidents import timefmt
from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    UPCOMING_MAINTENANCE_STATUSES,
    Component,
    ComponentGroup,
    Incident,
    Maintenance,
    MaintenanceStatus,
    OverallStatus,
    Post,
    worst_status,
)
from incidents.models.status import component_status_rank
from incidents.models.uptime import Weights
from incidents.models.uptime_strip import Strip, worst_of_strips
from incidents.models.uptime_summary import bar_strips
from incidents.models.uptime_window import WINDOW_DAYS
from incidents.uptime_bars import IncidentLink
from statuspage.reversing import reversed_url

RECENT_DAYS = 7
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")
LATEST_POSTS = 3
UPTIME_DAYS = WINDOW_DAYS  # what each component's window (UptimeDay rolled up) holds


# In English in the log; 400.html shows it in the reader's language.
PAGE_NUMBER_REFUSED = gettext_noop("The page number must be a whole number from 1 to 999999.")


def page_number(query: QueryDict) -> int:
    """The ?page= of a listing; anything but a positive whole number is a bad request."""
    raw = query.get("page", "1")
    if not PAGE_NUMBER.fullmatch(raw):
        raise BadRequest(PAGE_NUMBER_REFUSED)
    return int(raw)


def page_path(first_page: str, number: int) -> str:
    """The address of page `number` of the listing whose first page is `first_page`."""
    return first_page if number == 1 else f"{first_page}page/{number}/"


def paginate(items: Sequence[Any] | QuerySet[Any], per_page: int, number: int) -> Page:
    try:
        return Paginator(items, per_page).page(number)
    except EmptyPage:
        raise Http404("There is no such page.") from None


def newest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


@dataclass
class ComponentSection:
    group: ComponentGroup | None
    components: list[Component]
    uptime: dict[int, Strip] = field(default_factory=dict)

    @property
    def worst(self) -> str:
        return max((c.status for c in self.components), key=component_status_rank)

    @property
    def rows(self) -> list[tuple[Component, Strip | None]]:
        return [(c, self.uptime.get(c.pk)) for c in self.components]

    @property
    def group_uptime(self) -> Strip | None:
        """The worst of the members' histories (a group has no history of its own)."""
        members = [self.uptime[c.pk] for c in self.components if c.pk in self.uptime]
        return worst_of_strips(members) if self.group and members else None


# Written as SQL: the ORM's building and compiling of this query cost more than running it.
INCIDENT_TITLES = "SELECT id, title, language, translations FROM {table} WHERE id IN ({ids})"


def incidents_of(*strips: Strip) -> dict[int, IncidentLink]:
    """The incidents the days mention, for their titles and links (one query)."""
    ids = sorted({pk for strip in strips for pk in strip.incident_ids})
    if not ids:
        return {}
    table = connection.ops.quote_name(Incident._meta.db_table)
    sql = INCIDENT_TITLES.format(table=table, ids=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return {
            pk: IncidentLink(pk, title, language, _json(translations))
            for pk, title, language, translations in cursor.fetchall()
        }


def _json(value: object) -> dict[str, dict[str, str]] | None:
    """A JSON column as a raw query gives it: text on SQLite, decoded on PostgreSQL."""
    if isinstance(value, str):
        return json.loads(value) or None
    return value or None  # type: ignore[return-value]


@dataclass
class DayOfIncidents:
    day: date
    incidents: list[Incident]


@dataclass
class StatusPage:
    overall: OverallStatus
    sections: list[ComponentSection]
    unresolved: list[Incident]
    active_maintenance: list[Maintenance]
    upcoming_maintenance: list[Maintenance]
    postponed_maintenance: list[Maintenance]
    recent_days: list[DayOfIncidents]
    latest_posts: list[Post]
    updated_at: datetime | None = field(default=None)
    uptime_incidents: dict[int, IncidentLink] = field(default_factory=dict)
    weights: Weights | None = None


def status_page(now: datetime | None = None) -> StatusPage:
    now = now or timezone.now()
    components = list(Component.objects.for_status_page())
    sections = [
        ComponentSection(group, visible)
        for group, members in groupby(components, key=lambda c: c.group)
        if (visible := [c for c in members if c.is_visible])
    ]

    today = timefmt.in_zone(now).date()
    weights = Weights.from_settings()
    shown = [c.pk for s in sections for c in s.components]
    uptime = bar_strips(shown, today, UPTIME_DAYS, weights)
    for section in sections:
        section.uptime = uptime
    first_day = today - timedelta(days=RECENT_DAYS - 1)
    window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=timefmt.site_zone())
    incidents = list(
        Incident.objects.filter(
            Q(status__in=OPEN_INCIDENT_STATUSES) | Q(started_at__gte=window_start)
        )
        .with_timeline()
        .order_by("-started_at", "-id")
    )
    unresolved = [i for i in incidents if i.is_open]
    by_day: dict[date, list[Incident]] = {}
    for incident in incidents:
        if incident.started_at >= window_start:
            by_day.setdefault(timefmt.in_zone(incident.started_at).date(), []).append(incident)
    recent_days = [
        DayOfIncidents(today - timedelta(days=n), by_day.get(today - timedelta(days=n), []))
        for n in range(RECENT_DAYS)
    ]

    maintenance = list(
        Maintenance.objects.filter(
            status__in=[
                *ACTIVE_MAINTENANCE_STATUSES,
                *UPCOMING_MAINTENANCE_STATUSES,
                MaintenanceStatus.POSTPONED,
            ]
        )
        .with_timeline()
        .order_by("scheduled_start", "id")
    )
    latest_posts = list(Post.objects.published(now).for_listing()[:LATEST_POSTS])
    page = StatusPage(
        overall=worst_status(components, unresolved, [m for m in maintenance if m.is_active]),
        sections=sections,
        unresolved=unresolved,
        active_maintenance=[m for m in maintenance if m.is_active],
        upcoming_maintenance=[m for m in maintenance if m.is_upcoming],
        postponed_maintenance=[m for m in maintenance if m.status == MaintenanceStatus.POSTPONED],
        recent_days=recent_days,
        latest_posts=latest_posts,
        uptime_incidents=incidents_of(*uptime.values()),
        weights=weights,
    )
    page.updated_at = newest(
        *(c.updated_at for c in components),
        *(i.updated_at for i in incidents),
        *(m.updated_at for m in maintenance),
        *(p.updated_at for p in latest_posts),
    )
    return page


@dataclass
class HistoryEntry:
    kind: str
    at: datetime
    item: Incident | Maintenance

    @property
    def month(self) -> date:
        return timefmt.in_zone(self.at).date().replace(day=1)


def history_keys() -> QuerySet:
    """Every item of the history as (id, kind, at), newest first."""
    incident_keys = (
        Incident.objects.order_by()
        .annotate(kind=Value("incident", output_field=CharField()), at=F("started_at"))
        .values_list("id", "kind", "at")
    )
    maintenance_keys = (
        Maintenance.objects.exclude(status=MaintenanceStatus.CANCELLED)
        .order_by()
        .annotate(kind=Value("maintenance", output_field=CharField()), at=F("scheduled_start"))
        .values_list("id", "kind", "at")
    )
    return incident_keys.union(maintenance_keys, all=True).order_by("-at", "-id")


@dataclass(frozen=True)
class HistoryLayout:
    """Which items each page of the history shows.

    The front page (/history/) shows the newest, one to two pages' worth; the older ones
    are on pages numbered from the oldest, `per_page` each. A new item changes the front
    page (and once every `per_page` items adds a numbered page), never the full pages
    behind it: their addresses keep their content, and the static mirror re-renders a
    page or two per publish however long the history.
    """

    total: int
    per_page: int

    @property
    def numbered(self) -> int:
        return max(0, self.total - self.per_page) // self.per_page

    def rows(self, number: int) -> slice:
        """The newest-first positions page `number` shows (0: the front page)."""
        if number == 0:
            return slice(0, self.total - self.numbered * self.per_page)
        end = self.total - (number - 1) * self.per_page
        return slice(end - self.per_page, end)

    def page_of(self, position: int) -> int:
        """The page showing the item at this newest-first position (0: the front page)."""
        from_oldest = self.total - 1 - position
        if from_oldest >= self.numbered * self.per_page:
            return 0
        return from_oldest // self.per_page + 1

    def number_from_front(self, counted: int) -> int:
        """The page a reader reaches counting `counted` pages from the front (1: the front)."""
        if not 1 <= counted <= self.numbered + 1:
            raise Http404("There is no such page.")
        return 0 if counted == 1 else self.numbered - counted + 2


def history_number_from_front(counted: int, per_page: int) -> int:
    """The number of the history page `counted` pages from the front (0: the front page)."""
    return HistoryLayout(history_keys().count(), per_page).number_from_front(counted)


def history_path(number: int) -> str:
    """The address of history page `number` (0: the front page, /history/)."""
    return reversed_url("history") if number == 0 else reversed_url("history_page", [number])


@dataclass(frozen=True)
class HistoryNav:
    number: int  # 0: the front page
    newer: int | None
    older: int | None

    @property
    def newer_url(self) -> str:
        return history_path(self.newer) if self.newer is not None else ""

    @property
    def older_url(self) -> str:
        return history_path(self.older) if self.older is not None else ""


def history_page(
    number: int, per_page: int
) -> tuple[HistoryNav, list[tuple[date, list[HistoryEntry]]]]:
    """Incidents and maintenance together, newest first, grouped by month in the site zone.

    `number` 0 is the front page; see HistoryLayout.
    """
    keys = history_keys()
    layout = HistoryLayout(keys.count(), per_page)
    if not 0 <= number <= layout.numbered:
        raise Http404("There is no such page.")
    rows = list(keys[layout.rows(number)])
    if number == 0:
        nav = HistoryNav(0, None, layout.numbered or None)
    else:
        newer = number + 1 if number < layout.numbered else 0
        nav = HistoryNav(number, newer, number - 1 or None)
    # The list shows no timelines: prefetching them was most of a page's cost.
    incidents = Incident.objects.in_bulk([pk for pk, kind, _ in rows if kind == "incident"])
    maintenances = Maintenance.objects.in_bulk(
        [pk for pk, kind, _ in rows if kind == "maintenance"]
    )
    entries = [
        HistoryEntry(kind, at, incidents[pk] if kind == "incident" else maintenances[pk])
        for pk, kind, at in rows
    ]
    months = [(month, list(group)) for month, group in groupby(entries, key=lambda e: e.month)]
    return nav, months
