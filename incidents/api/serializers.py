"""Components, incidents and maintenance as Atlassian Statuspage's v2 API writes them.

Tools that read Statuspage (dashboards, aggregators, chat bots) read these
unchanged, so the field names, their order and the value sets follow
Statuspage; where our model says more (postponed, rescheduled), it is mapped
onto Statuspage's words and the README says how.

Ids are strings, as in Statuspage, with a letter for the kind ("c3", "g1",
"i45", "m7"): groups are components in this format, and clients that keep
incidents and maintenance in one table must not see two items with one id.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

from incidents import timefmt
from incidents.links import absolute
from incidents.models import (
    REMINDER_NOTICE_KIND,
    Component,
    ComponentGroup,
    ComponentStatus,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
)
from incidents.models.status import component_status_rank

Json = dict[str, Any]

# Statuspage knows four maintenance states. A rescheduled window is scheduled again; a
# postponed one (work reverted, new window to come) waits as scheduled; a cancelled one
# leaves the API as a deleted one does in Statuspage (see maintenance_in_api).
MAINTENANCE_STATUS = {
    MaintenanceStatus.SCHEDULED: "scheduled",
    MaintenanceStatus.RESCHEDULED: "scheduled",
    MaintenanceStatus.POSTPONED: "scheduled",
    MaintenanceStatus.IN_PROGRESS: "in_progress",
    MaintenanceStatus.VERIFYING: "verifying",
    MaintenanceStatus.COMPLETED: "completed",
    MaintenanceStatus.CANCELLED: "completed",
}
MAINTENANCE_IMPACT = "maintenance"

# Statuspage's own words for each indicator, which clients compare as strings (observed on
# real pages: githubstatus.com, status.atlassian.com). Our HTML pages keep our wording.
# Translated only under a language prefix (/nb/api/v2/): English stays word for word.
STATUS_DESCRIPTION = {
    "none": gettext_noop("All Systems Operational"),
    "minor": gettext_noop("Minor Service Outage"),
    "major": gettext_noop("Partial System Outage"),
    "critical": gettext_noop("Major System Outage"),
    "maintenance": gettext_noop("Service Under Maintenance"),
}

_PUBLIC_ID = re.compile(r"([a-z]{1,2})([0-9]{1,18})")


def public_id(kind: str, pk: int) -> str:
    return f"{kind}{pk}"


def parse_public_id(kind: str, text: str) -> int | None:
    """The primary key in "i45" for kind "i"; None for anything else."""
    found = _PUBLIC_ID.fullmatch(text)
    if found is None or found.group(1) != kind:
        return None
    return int(found.group(2))


def page_id() -> str:
    """A stable id for the page, like Statuspage's: derived from its public address."""
    return _page_id(settings.SITE_URL)


@lru_cache(maxsize=4)
def _page_id(site_url: str) -> str:
    digest = hashlib.sha256(site_url.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:12]


def api_time(moment: datetime | None) -> str | None:
    """ISO 8601 with milliseconds and the offset of the site's zone, as Statuspage writes."""
    if moment is None:
        return None
    return timefmt.in_zone(moment).isoformat(timespec="milliseconds")


def status_description(indicator: str) -> str:
    """Statuspage's description of an overall indicator ("none", "minor", ...): the English
    exactly at /api/v2/ (clients compare it), the reader's language under /nb/api/v2/."""
    return gettext(STATUS_DESCRIPTION[indicator])


def page(updated_at: datetime) -> Json:
    return {
        "id": page_id(),
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL,
        "time_zone": settings.SITE_TIME_ZONE,
        "updated_at": api_time(updated_at),
    }


@dataclass
class ComponentTree:
    """Every component and group in page order, serialized once per document."""

    by_pk: dict[int, Json] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)
    ordered: list[Json] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    @classmethod
    def load(cls) -> ComponentTree:
        components = list(Component.objects.order_by("position", "name"))
        groups = list(ComponentGroup.objects.all())
        return cls.build(components, groups)

    @classmethod
    def build(cls, components: list[Component], groups: list[ComponentGroup]) -> ComponentTree:
        tree = cls(components=components)
        members: dict[int | None, list[Component]] = {}
        for component in components:
            members.setdefault(component.group_id, []).append(component)
        sections: list[tuple[ComponentGroup | None, list[Component]]] = [
            (None, members.get(None, [])),
            *((group, members.get(group.pk, [])) for group in groups),
        ]
        for group, section in sections:
            if group is not None:
                tree.ordered.append(_group(group, section, len(tree.ordered) + 1))
            for component in section:
                serialized = _component(component, len(tree.ordered) + 1)
                tree.ordered.append(serialized)
                tree.by_pk[component.pk] = serialized
                tree.by_name[component.name] = component.pk
        return tree

    def pick(self, pks: Iterable[int]) -> list[Json]:
        """The components with these keys, in page order."""
        chosen = [self.by_pk[pk] for pk in set(pks) if pk in self.by_pk]
        return sorted(chosen, key=lambda c: c["position"])


def _component(component: Component, position: int) -> Json:
    return {
        "id": public_id("c", component.pk),
        "name": str(component.localized("name")),
        "status": component.status,
        "created_at": api_time(component.created_at),
        "updated_at": api_time(component.updated_at),
        "position": position,
        "description": str(component.localized("description")) or None,
        "showcase": component.showcase,
        "start_date": component.start_date.isoformat() if component.start_date else None,
        "group_id": public_id("g", component.group_id) if component.group_id else None,
        "page_id": page_id(),
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def _group(group: ComponentGroup, members: list[Component], position: int) -> Json:
    worst = max(
        (c.status for c in members), key=component_status_rank, default=ComponentStatus.OPERATIONAL
    )
    return {
        "id": public_id("g", group.pk),
        "name": str(group.localized("name")),
        "status": worst,
        "created_at": api_time(group.created_at),
        "updated_at": api_time(group.updated_at),
        "position": position,
        "description": str(group.localized("description")) or None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": page_id(),
        "group": True,
        "only_show_if_degraded": False,
        "components": [public_id("c", c.pk) for c in members],
    }


def _affected(changes: list[dict[str, Any]], tree: ComponentTree) -> list[Json] | None:
    """What an update changed, as Statuspage's affected_components (null when nothing).

    In the status page's order, whatever order the update was posted in.
    """
    affected = []
    for change in changes:
        pk = change.get("component_id") or tree.by_name.get(str(change.get("name")))
        if not isinstance(pk, int) or "old_status" not in change or "new_status" not in change:
            continue  # rows written outside the actions may lack what a reader needs
        position = tree.by_pk[pk]["position"] if pk in tree.by_pk else len(tree.ordered) + 1
        row = {
            "code": public_id("c", pk),
            "name": str(change.get("name", "")),
            "old_status": change["old_status"],
            "new_status": change["new_status"],
        }
        affected.append((position, row))
    affected.sort(key=lambda item: item[0])
    return [row for _position, row in affected] or None


def _edited_at(update: IncidentUpdate | MaintenanceUpdate) -> datetime:
    """When the update last changed as readers know it: its time, unless edited after writing."""
    edited = update.updated_at - update.created_at
    return update.updated_at if edited.total_seconds() > 60 else update.posted_at


def _notified(update: IncidentUpdate | MaintenanceUpdate) -> bool:
    """Whether subscribers were told of the update (with_timeline annotates it in one query)."""
    notified = getattr(update, "notified", None)
    if notified is None:
        notified = update.notice_set.exclude(kind=REMINDER_NOTICE_KIND).exists()
    return bool(notified)


def _delivery(update: IncidentUpdate | MaintenanceUpdate) -> Json:
    # We post to X ourselves and keep no tweet per update: null, as Statuspage sends
    # for an update it did not tweet.
    return {"deliver_notifications": _notified(update), "custom_tweet": None, "tweet_id": None}


def incident_update(update: IncidentUpdate, tree: ComponentTree) -> Json:
    return {
        "id": public_id("iu", update.pk),
        "status": update.status,
        "body": str(update.localized("body")),
        "incident_id": public_id("i", update.incident_id),
        "created_at": api_time(update.posted_at),
        "updated_at": api_time(_edited_at(update)),
        "display_at": api_time(update.posted_at),
        "affected_components": _affected(update.component_changes or [], tree),
        **_delivery(update),
    }


def incident(item: Incident, tree: ComponentTree) -> Json:
    return {
        "id": public_id("i", item.pk),
        "name": str(item.localized("title")),
        "status": item.status,
        "created_at": api_time(item.created_at),
        "updated_at": api_time(item.updated_at),
        "monitoring_at": api_time(item.monitoring_at),
        "resolved_at": api_time(item.resolved_at),
        "impact": item.impact,
        "shortlink": absolute(item.get_absolute_url()),
        "started_at": api_time(item.started_at),
        "page_id": page_id(),
        "incident_updates": [incident_update(u, tree) for u in item.timeline()],
        "components": tree.pick(row.component_id for row in item.affected.all()),
    }


def maintenance_in_api(item: Maintenance) -> bool:
    """Cancelled windows are left out, as Statuspage leaves out a deleted one."""
    return item.status != MaintenanceStatus.CANCELLED


def maintenance_update(update: MaintenanceUpdate, item: Maintenance, tree: ComponentTree) -> Json:
    body = str(update.localized("body"))
    if not body and update.status == MaintenanceStatus.SCHEDULED:
        body = str(item.localized("body"))  # the first update is the announcement itself
    return {
        "id": public_id("mu", update.pk),
        "status": MAINTENANCE_STATUS[MaintenanceStatus(update.status)],
        "body": body,
        "incident_id": public_id("m", item.pk),
        "created_at": api_time(update.posted_at),
        "updated_at": api_time(_edited_at(update)),
        "display_at": api_time(update.posted_at),
        "affected_components": _affected(update.component_changes or [], tree),
        **_delivery(update),
    }


def maintenance(item: Maintenance, tree: ComponentTree) -> Json:
    return {
        "id": public_id("m", item.pk),
        "name": str(item.localized("title")),
        "status": MAINTENANCE_STATUS[MaintenanceStatus(item.status)],
        "created_at": api_time(item.created_at),
        "updated_at": api_time(item.updated_at),
        "monitoring_at": None,
        "resolved_at": api_time(item.completed_at),
        "impact": MAINTENANCE_IMPACT,
        "shortlink": absolute(item.get_absolute_url()),
        # Statuspage sends the window's creation here, not its start (that is scheduled_for).
        "started_at": api_time(item.created_at),
        "page_id": page_id(),
        "incident_updates": [maintenance_update(u, item, tree) for u in item.timeline()],
        "components": tree.pick(c.pk for c in item.components.all()),
        "scheduled_for": api_time(item.scheduled_start),
        "scheduled_until": api_time(item.scheduled_end),
    }
