"""An iCalendar feed of maintenance windows (/maintenance.ics) for calendar subscriptions.

One event per window, whatever happens to it: the UID never changes, so a
rescheduled window moves in the reader's calendar instead of appearing
twice; SEQUENCE goes up with each reschedule, postponement and the
cancellation; a cancelled window stays with STATUS:CANCELLED so calendars
remove it. Times are written in UTC
(the "Z" form), which every client converts to its own zone unambiguously.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from icalendar import Calendar, Event

from incidents.links import absolute
from incidents.models import Maintenance, MaintenanceStatus
from incidents.page_cache import cached_page
from incidents.plaintext import markdown_to_text

CONTENT_TYPE = "text/calendar; charset=utf-8"
# How often subscribers should fetch again (clients read X-PUBLISHED-TTL or REFRESH-INTERVAL).
REFRESH = "PT1H"
STATUS = {
    MaintenanceStatus.CANCELLED: "CANCELLED",
    # The work was reverted and a new window is not yet known.
    MaintenanceStatus.POSTPONED: "TENTATIVE",
}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def uid(maintenance: Maintenance) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"maintenance-{maintenance.pk}@{host}"


def _description(maintenance: Maintenance, url: str) -> str:
    body = markdown_to_text(maintenance.localized("body"))
    parts = [body] if body else []
    names = ", ".join(c.localized("name") for c in maintenance.affected_components())
    if names:
        parts.append(gettext("Affects: %(components)s.") % {"components": names})
    parts.append(
        gettext("Status: %(status)s. Details and updates: %(url)s")
        % {"status": maintenance.get_status_display(), "url": url}
    )
    return "\n\n".join(parts)


def event(maintenance: Maintenance, produced_at: datetime) -> Event:
    url = absolute(maintenance.get_absolute_url())
    item = Event()
    item.add("uid", uid(maintenance))
    item.add("sequence", maintenance.sequence)
    # With METHOD present, DTSTAMP is when the calendar was produced (RFC 5545 3.8.7.2),
    # the same for every event; when this window last changed is LAST-MODIFIED.
    item.add("dtstamp", _utc(produced_at))
    item.add("created", _utc(maintenance.created_at))
    item.add("last-modified", _utc(maintenance.updated_at))
    item.add("dtstart", _utc(maintenance.scheduled_start))
    item.add("dtend", _utc(maintenance.scheduled_end))
    item.add("summary", f"{settings.SITE_NAME}: {maintenance.localized('title')}")
    item.add("description", _description(maintenance, url))
    item.add("url", url)
    item.add("status", STATUS.get(MaintenanceStatus(maintenance.status), "CONFIRMED"))
    item.add("transp", "TRANSPARENT")  # the reader is not busy during our maintenance
    item.add("categories", [pgettext("feed category", "Maintenance")])
    return item


def maintenance_calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//statuspage//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", gettext("%(site)s: maintenance") % {"site": settings.SITE_NAME})
    calendar.add(
        "x-wr-caldesc",
        gettext("Scheduled maintenance windows of %(site)s.") % {"site": settings.SITE_NAME},
    )
    calendar.add("x-wr-timezone", settings.SITE_TIME_ZONE)
    calendar.add("x-published-ttl", REFRESH)
    windows = list(Maintenance.objects.with_components().order_by("scheduled_start", "id"))
    # This calendar's content came to be with the latest change to any window: the same
    # bytes until a window changes again, so the mirror and HTTP caches see no change.
    produced_at = max((m.updated_at for m in windows), default=timezone.now())
    for maintenance in windows:
        calendar.add_component(event(maintenance, produced_at))
    return calendar


@cached_page
def maintenance_ics(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(maintenance_calendar().to_ical(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    response["Cache-Control"] = "public, max-age=300"
    return response
