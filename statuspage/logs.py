"""Quiet the lines Celery writes at INFO for every run of a periodic task.

Beat sends the sweep every 30 s and the maintenance tick every minute; each run logged
"Scheduler: Sending due task ...", "Task ... received" and "Task ... succeeded", which
buried the lines about real work. Only INFO and below about these tasks are dropped: a
periodic task that fails still logs its ERROR.
"""

from __future__ import annotations

import logging

# The tasks statuspage/celery.py schedules (tests/test_serve.py checks the two agree).
PERIODIC_TASKS = (
    "console.advance_maintenance",
    "notifier.sweep",
    "notifier.mirror.refresh",
    "console.alert_overdue_updates",
    "probes.tick",
    "probes.roll_up",
)
# Tasks a periodic task sends on each run (each location's probe batch, every few seconds).
SENT_BY_PERIODIC_TASKS = ("probes.run_due",)
# Where Celery writes those lines: beat, the worker receiving a task, the task's outcome.
CELERY_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class QuietPeriodicTasks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        return not any(
            f"{task}[" in message or f"({task})" in message
            for task in PERIODIC_TASKS + SENT_BY_PERIODIC_TASKS
        )
