"""Staff alerts for missed promises: an update said when the next would come, and it has not.

Each late promise gets one mail to the active staff accounts with an address
and, when STAFF_ALERT_WEBHOOK_URL is set, one JSON POST there. Each route is
claimed on the update row before it is tried (so two overlapping ticks never
send twice) and released again if it fails, so the next tick retries it. A
failure is logged, never raised: beat must keep ticking.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from console.accounts import alert_recipients
from incidents import timefmt
from incidents.api.serializers import public_id
from incidents.links import absolute
from incidents.models import Incident, IncidentUpdate
from notifier import outbound
from notifier.mail_headers import one_off_mail

logger = logging.getLogger(__name__)

MAIL_CLAIM = "overdue_mailed_at"
WEBHOOK_CLAIM = "overdue_webhook_at"


def alert_overdue_updates(now: datetime | None = None) -> int:
    """Send what is owed for every late promise; returns how many alerts went out."""
    if not settings.NEXT_UPDATE_ALERTS:
        return 0
    now = now or timezone.now()
    sent = 0
    for update in _owed(now):
        if update.next_update_by is None:  # _owed() picks updates that promised one
            continue
        late = now - update.next_update_by
        sent += _try(update, MAIL_CLAIM, now, _mail, late)
        if settings.STAFF_ALERT_WEBHOOK_URL:
            sent += _try(update, WEBHOOK_CLAIM, now, _post, late)
    return sent


def _owed(now: datetime) -> list[IncidentUpdate]:
    # promise_update_id is annotated by with_promise(); the plugin cannot follow it there.
    overdue = Incident.objects.overdue(now).values("promise_update_id")  # type: ignore[misc]
    pending = Q(overdue_mailed_at__isnull=True)
    if settings.STAFF_ALERT_WEBHOOK_URL:
        pending |= Q(overdue_webhook_at__isnull=True)
    return list(
        IncidentUpdate.objects.filter(pending, pk__in=overdue)
        .select_related("incident")
        .order_by("next_update_by", "pk")
    )


Sender = Callable[[IncidentUpdate, timedelta], None]


def _try(update: IncidentUpdate, claim: str, now: datetime, send: Sender, late: timedelta) -> int:
    mine = IncidentUpdate.objects.filter(pk=update.pk, **{f"{claim}__isnull": True})
    if mine.update(**{claim: now}) != 1:
        return 0  # sent already, or another tick is sending it now
    try:
        send(update, late)
    except Exception:
        logger.exception("Overdue-update alert (%s) for update %s failed", claim, update.pk)
        IncidentUpdate.objects.filter(pk=update.pk).update(**{claim: None})
        return 0
    return 1


def _context(update: IncidentUpdate, late: timedelta) -> dict[str, Any]:
    incident = update.incident
    promised = update.next_update_by
    assert promised is not None
    return {
        "site_name": settings.SITE_NAME,
        "incident": incident,
        "promised": timefmt.clock_near(promised, update.posted_at),
        "promised_stamp": timefmt.stamp(promised),
        "late_minutes": max(1, int(late.total_seconds() // 60)),
        "console_url": absolute(reverse("console:incident", args=[incident.pk])),
        "page_url": absolute(incident.get_absolute_url()),
    }


def _mail(update: IncidentUpdate, late: timedelta) -> None:
    recipients = list(alert_recipients().values_list("email", flat=True))
    if not recipients:
        return
    context = _context(update, late)
    subject = " ".join(render_to_string("emails/update-overdue-subject.txt", context).split())
    body = render_to_string("emails/update-overdue-body.txt", context)
    # One message per address: staff need not see each other's addresses.
    messages = [one_off_mail(subject, body, address) for address in recipients]
    get_connection(fail_silently=False).send_messages(messages)


def webhook_payload(update: IncidentUpdate, late: timedelta) -> dict[str, Any]:
    context = _context(update, late)
    incident = update.incident
    return {
        "event": "incident.update_overdue",
        "incident": {
            "id": public_id("i", incident.pk),
            "name": incident.title,
            "status": incident.status,
            "impact": incident.impact,
            "url": context["page_url"],
            "console_url": context["console_url"],
        },
        # Only an update that promised a next one is ever overdue.
        "next_update_by": timefmt.iso_utc(update.next_update_by),  # type: ignore[arg-type]
        "overdue_minutes": context["late_minutes"],
        "text": (
            f"{incident.title}: the update promised by {context['promised']} is "
            f"{context['late_minutes']} min late."
        ),
    }


def _post(update: IncidentUpdate, late: timedelta) -> None:
    post_to_staff_webhook(webhook_payload(update, late))


def post_to_staff_webhook(body: dict[str, Any]) -> None:
    """One JSON POST to STAFF_ALERT_WEBHOOK_URL: staff's own, so it may be an inside address;
    bounded in time and answer like every outbound call (notifier/outbound.py)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"{settings.SITE_NAME} staff alerts ({settings.SITE_URL})",
    }
    with outbound.Client() as client:
        answer = client.post(
            settings.STAFF_ALERT_WEBHOOK_URL,
            json.dumps(body).encode(),
            headers,
            policy=outbound.Policy.STAFF,
        )
    if not 200 <= answer.status < 300:
        raise RuntimeError(f"The staff alert webhook answered {answer.status}")
