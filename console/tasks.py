from __future__ import annotations

from celery import shared_task

import actions
from console import alerts, probe_alerts
from incidents.models import PublicationState
from incidents.uptime.days import roll_up_recent


@shared_task(name="console.advance_maintenance")
def advance_maintenance() -> int:
    """Remind subscribers of windows starting soon, start due maintenance windows, complete
    ended ones and put out posts whose scheduled time has come (one tick for everything due
    on time); returns how many were reminded or moved."""
    reminded = actions.remind_due_maintenance()
    return len(reminded) + len(actions.advance_maintenance()) + len(actions.publish_due_posts())


@shared_task(name="console.alert_overdue_updates")
def alert_overdue_updates() -> int:
    """Tell staff about incident updates promised and not posted; returns alerts sent."""
    return alerts.alert_overdue_updates()


@shared_task(name="console.roll_up_uptime")
def roll_up_uptime() -> int:
    """Close yesterday's uptime rows and bring today's partial ones up to now; rows written.

    The rows are written in bulk (no signal), so the pages showing them (the bars, the
    component pages, uptime.json) are told here: cached copies and the mirror renew."""
    written = roll_up_recent()
    if written:
        PublicationState.renew_token()
    return written


@shared_task(name="console.alert_probes")
def alert_probes() -> int:
    """Tell staff of new probe alerts and expiring certificates; returns how many were told."""
    return probe_alerts.tell_staff()
