"""The webhook body: a notice in Atlassian Statuspage's webhook shape.

    {"meta": {"unsubscribe": null, "documentation": WEBHOOK_DOCUMENTATION_URL,
              "generated_at": "2013-01-25T00:45:00.000+01:00"},
     "page": {"id": <the API's page id>, "status_indicator": none|minor|major|critical|maintenance,
              "status_description": "Partial service outage"},
     "incident": {...}}

The incident object is the one the public API (/api/v2/, incidents/api/
serializers.py) writes, so ids ("i45", "m7", "iu12", "mu3", "c3"), times
(ISO 8601, milliseconds, the site zone's offset) and value sets are the same
in both. Statuspage sends scheduled maintenance as incidents, and so do we:
impact "maintenance", scheduled_for and scheduled_until set, statuses in
Statuspage's words (rescheduled and postponed read as scheduled, cancelled as
completed; the X-Statuspage-Event header keeps the exact kind, such as
maintenance.postponed). Incidents carry scheduled_for and scheduled_until as
null, as in Statuspage's webhooks. Statuspage's fields with no counterpart here
(backfilled, impact_override, postmortem_*) carry the values Statuspage gives
when unused; scheduled_auto_transition is true when a window starts and
completes on its own; scheduled_remind_prior is true when the window has a
reminder, and scheduled_reminded_at is when it went out for the window then in
force (null before).

Statuspage reminds only email and SMS subscribers, and has no webhook event for
it. We send the reminder to webhooks too, as the same incident object (its
status still "scheduled", scheduled_reminded_at set) with X-Statuspage-Event
"maintenance.reminder": a consumer written for Statuspage reads it as one more
update of a scheduled maintenance it already knows, and one that tells kinds
apart can page someone before the work begins.

Unlike the API, the object is described as of the notice, so a retry sent
later does not contradict its event: the status of the notice's update, only
the updates posted up to it (newest first), monitoring_at and resolved_at only
if they had happened by then, and the window in force then.

A component status set by staff with no incident sends Statuspage's other body:
"component_update" (old and new status) and "component" (as of the notice)
instead of "incident".

`meta.unsubscribe` is the endpoint's own unsubscribe link when it was registered
for a subscriber (owner "subscriber"), and null for staff endpoints, which staff
manage in the console.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from incidents.api import serializers
from incidents.api.serializers import (
    MAINTENANCE_STATUS,
    ComponentTree,
    api_time,
    public_id,
)
from incidents.links import absolute
from incidents.models import MaintenanceStatus, overall_status
from notifier.models import Notice, NoticeKind, WebhookEndpoint
from notifier.signed_links import webhook_unsubscribe_token

Json = dict[str, Any]


def unsubscribe_url(endpoint: WebhookEndpoint) -> str | None:
    if endpoint.owner != WebhookEndpoint.Owner.SUBSCRIBER:
        return None
    return unsubscribe_url_around(webhook_unsubscribe_token(endpoint.pk, endpoint.secret))


def unsubscribe_url_around(token: str) -> str:
    return absolute(reverse("webhook_unsubscribe", args=[token]))


def payload(notice: Notice, endpoint: WebhookEndpoint | None = None) -> Json:
    overall = overall_status()
    return {
        "meta": {
            "unsubscribe": unsubscribe_url(endpoint) if endpoint else None,
            "documentation": settings.WEBHOOK_DOCUMENTATION_URL,
            "generated_at": api_time(timezone.now()),
        },
        "page": {
            "id": serializers.page_id(),
            "status_indicator": overall.indicator,
            "status_description": serializers.status_description(overall.indicator),
        },
        **subject(notice),
    }


def subject(notice: Notice) -> Json:
    if notice.incident_id:
        return {"incident": incident(notice)}
    if notice.maintenance_id:
        return {"incident": maintenance(notice)}
    return component_update(notice)


def component_update(notice: Notice) -> Json:
    """Statuspage's component webhook: what changed, and the component as of the change."""
    component = notice.component
    assert component is not None
    shown = ComponentTree.load().by_pk[component.pk]
    at = api_time(notice.created_at)
    return {
        "component_update": {
            "id": public_id("cu", notice.pk),
            "created_at": at,
            "old_status": notice.old_status,
            "new_status": notice.new_status,
            "component_id": shown["id"],
        },
        "component": {**shown, "status": notice.new_status, "updated_at": at},
    }


def _by(moment: datetime | None, limit: datetime) -> str | None:
    return api_time(moment) if moment and moment <= limit else None


def _updates_until(serialized: Json, kind: str, update_ids: list[int]) -> list[Json]:
    known = {public_id(kind, pk) for pk in update_ids}
    return [item for item in serialized["incident_updates"] if item["id"] in known]


def _statuspage_fields(
    auto_transition: bool, remind_prior: bool = False, reminded_at: datetime | None = None
) -> Json:
    """Fields Statuspage's incident object has and this product has no use for (no postmortems,
    no backfilled incidents), at the values Statuspage gives when unused; the reminder's."""
    return {
        "backfilled": False,
        "impact_override": None,
        "postmortem_body": None,
        "postmortem_body_last_updated_at": None,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": None,
        "scheduled_auto_transition": auto_transition,
        "scheduled_remind_prior": remind_prior,
        "scheduled_reminded_at": api_time(reminded_at) if reminded_at else None,
    }


def incident(notice: Notice) -> Json:
    subject, update = notice.incident, notice.incident_update
    assert subject is not None and update is not None
    shown = serializers.incident(subject, ComponentTree.load())
    earlier = subject.updates.filter(pk__lte=update.pk).values_list("pk", flat=True)
    return {
        **shown,
        "status": update.status,
        "updated_at": api_time(update.posted_at),
        "monitoring_at": _by(subject.monitoring_at, update.posted_at),
        "resolved_at": _by(subject.resolved_at, update.posted_at),
        "incident_updates": _updates_until(shown, "iu", list(earlier)),
        "scheduled_for": None,
        "scheduled_until": None,
        **_statuspage_fields(auto_transition=False),
    }


def maintenance(notice: Notice) -> Json:
    subject, update = notice.maintenance, notice.maintenance_update
    assert subject is not None and update is not None
    shown = serializers.maintenance(subject, ComponentTree.load())
    earlier = subject.updates.filter(pk__lte=update.pk).values_list("pk", flat=True)
    finished = update.status in (MaintenanceStatus.COMPLETED, MaintenanceStatus.CANCELLED)
    window_start = update.window_start or subject.scheduled_start
    window_end = update.window_end or subject.scheduled_end
    return {
        **shown,
        "status": MAINTENANCE_STATUS[MaintenanceStatus(update.status)],
        "updated_at": api_time(update.posted_at),
        "resolved_at": api_time(update.posted_at) if finished else None,
        "started_at": _by(subject.started_at, update.posted_at) or api_time(window_start),
        "incident_updates": _updates_until(shown, "mu", list(earlier)),
        "scheduled_for": api_time(window_start),
        "scheduled_until": api_time(window_end),
        # Statuspage's one switch: the window starts and completes on its own.
        **_statuspage_fields(
            auto_transition=subject.auto_start and subject.auto_complete,
            remind_prior=bool(subject.remind_minutes_before),
            reminded_at=_reminded_at(notice, window_start),
        ),
    }


def _reminded_at(notice: Notice, window_start: datetime) -> datetime | None:
    """When the reminder for this window start went out, as of the notice."""
    reminder = (
        Notice.objects.filter(
            maintenance=notice.maintenance,
            kind=NoticeKind.MAINTENANCE_REMINDER,
            pk__lte=notice.pk,
            maintenance_update__window_start=window_start,
        )
        .order_by("-pk")
        .first()
    )
    return reminder.created_at if reminder else None
