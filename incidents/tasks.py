from __future__ import annotations

from celery import shared_task

from incidents import actions


@shared_task(name="incidents.tasks.advance_maintenance")
def advance_maintenance() -> int:
    """Start due maintenance windows and complete ended ones; returns how many moved."""
    return len(actions.advance_maintenance())
