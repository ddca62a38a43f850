from __future__ import annotations

from celery import shared_task

from incidents import actions


@shared_task(name="incidents.tasks.advance_maintenance")
def advance_maintenance() -> int:
    """Start due maintenance windows, complete ended ones and put out posts whose scheduled
    time has come (one tick for everything due on time); returns how many moved."""
    return len(actions.advance_maintenance()) + len(actions.publish_due_posts())
