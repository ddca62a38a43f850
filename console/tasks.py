from __future__ import annotations

from celery import shared_task

from console import alerts


@shared_task(name="console.alert_overdue_updates")
def alert_overdue_updates() -> int:
    """Tell staff about incident updates promised and not posted; returns alerts sent."""
    return alerts.alert_overdue_updates()
