"""The periodic mirror refresh (scheduled in statuspage/celery.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from notifier.channels.base import TransportError
from notifier.mirror.models import MirrorTarget
from notifier.mirror.refresh import forget_shown_changes
from notifier.mirror.targets import configured_targets

logger = logging.getLogger(__name__)


@shared_task(name="notifier.mirror.refresh")
def refresh_mirrors() -> dict[str, str]:
    """Refresh every configured target; one failing holds up none of the others.

    Each outcome is recorded on the target's row (MirrorTarget, in the admin);
    a failure leaves the target behind the site, so the next tick tries again.
    """
    outcomes: dict[str, str] = {}
    targets = configured_targets()
    for target in targets:
        result, error = "", ""
        try:
            result = target.refresh()
        except TransportError as failure:
            error = str(failure)
            logger.warning("Mirror refresh of %s failed: %s", target.name, error)
        except Exception as failure:
            error = f"Internal error: {failure!r}"
            logger.exception("Mirror refresh of %s crashed", target.name)
        MirrorTarget.objects.update_or_create(
            name=target.name,
            defaults={
                "last_attempt_at": timezone.now(),
                "last_result": (result or "up to date")[:200],
                "last_error": error,
            },
        )
        outcomes[target.name] = error or result
    forget_shown_changes([t.name for t in targets])
    return outcomes
