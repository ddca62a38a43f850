"""Alerts from probe results: k of n locations failing in a row open one; recovery closes it.

A location fails a probe "in a row" when its last PROBE_FAILURES_IN_A_ROW results all failed.
Each result is already a run with the probe's own retries (a blip inside one run is retried
away), so a run that failed has failed every try; several such runs in a row make an alert,
never one bad minute. The locations
counted (n) are those that reported the probe within a few intervals; the alert opens when
at least PROBE_ALERT_MIN_LOCATIONS (k) of them fail in a row, and closes once fewer do. A
probe nobody reports any more (every worker gone) keeps its alert open: silence is no
recovery. A disabled probe's alert closes.

Runs whenever a runner records results (the `results_recorded` signal). Staff are told of
a new alert by the console's periodic task (console/probe_alerts.py), once per alert.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

import actions.probes
from incidents.models import Probe, ProbeAlert, ProbeResult
from probes.evidence import Failing, evidence_json
from probes.signals import results_recorded

logger = logging.getLogger(__name__)


def failures_in_a_row(probe: Probe) -> int:
    return int(settings.PROBE_FAILURES_IN_A_ROW)


def reporting_window(probe: Probe) -> timedelta:
    """How long a location may stay silent and still count among those running the probe."""
    intervals = failures_in_a_row(probe) + 2
    return timedelta(seconds=intervals * probe.interval_seconds + probe.timeout_seconds)


def reporting_locations(probe: Probe, now: datetime) -> list[str]:
    recent = ProbeResult.objects.filter(
        probe=probe, started_at__gte=now - reporting_window(probe), started_at__lte=now
    )
    return list(recent.order_by("location").values_list("location", flat=True).distinct())


def failing_from(probe: Probe, location: str, now: datetime) -> Failing | None:
    """The location's failing streak, when its last results all failed; None otherwise."""
    results = ProbeResult.objects.filter(probe=probe, location=location, started_at__lte=now)
    latest = list(results.order_by("-started_at")[: failures_in_a_row(probe)])
    if len(latest) < failures_in_a_row(probe) or any(result.ok for result in latest):
        return None
    last_ok = results.filter(ok=True).order_by("-started_at").values("started_at")[:1]
    streak = results.filter(ok=False)
    if last_ok:
        streak = streak.filter(started_at__gt=last_ok[0]["started_at"])
    first = streak.order_by("started_at").values_list("started_at", flat=True).first()
    return Failing(
        location=location,
        since=first or latest[-1].started_at,
        last_at=latest[0].started_at,
        error=latest[0].error,
        failures=streak.count(),
    )


def evaluate(probe_ids: Iterable[int], now: datetime | None = None) -> list[ProbeAlert]:
    """Open, refresh or close each probe's alert; returns the alerts opened or closed."""
    now = now or timezone.now()
    changed = []
    for probe_id in sorted(_worth_a_look(set(probe_ids), now)):
        alert = _evaluate_one(probe_id, now)
        if alert is not None:
            changed.append(alert)
    return changed


def _worth_a_look(probe_ids: set[int], now: datetime) -> set[int]:
    """The probes that may change: those with an open alert, and those that failed lately
    (a location failing in a row has its latest result, a failure, within the window).
    Three queries for a whole batch, so a runner's many healthy probes cost next to nothing."""
    probes = Probe.objects.filter(pk__in=probe_ids).only(
        "retries", "interval_seconds", "timeout_seconds"
    )
    windows = [reporting_window(probe) for probe in probes]
    if not windows:
        return set()
    alerted = ProbeAlert.objects.filter(probe_id__in=probe_ids, closed_at__isnull=True)
    failed = ProbeResult.objects.filter(
        probe_id__in=probe_ids, ok=False, started_at__gte=now - max(windows)
    )
    return {
        *alerted.values_list("probe_id", flat=True),
        *failed.order_by().values_list("probe_id", flat=True).distinct(),
    }


@transaction.atomic
def _evaluate_one(probe_id: int, now: datetime) -> ProbeAlert | None:
    # Locked, so two workers reporting the same probe at once take turns.
    probe = Probe.objects.select_for_update().select_related("component").filter(pk=probe_id)
    found = probe.first()
    if found is None:
        return None
    alert = ProbeAlert.objects.filter(probe=found, closed_at__isnull=True).first()
    locations = reporting_locations(found, now) if found.enabled else []
    failing = [f for loc in locations if (f := failing_from(found, loc, now)) is not None]
    if found.enabled and len(failing) >= settings.PROBE_ALERT_MIN_LOCATIONS:
        return _open_or_refresh(found, alert, evidence_json(failing), now)
    if alert is not None and (locations or not found.enabled):
        return _close(alert, now)
    return None


def _open_or_refresh(
    probe: Probe, alert: ProbeAlert | None, evidence: dict[str, Any], now: datetime
) -> ProbeAlert | None:
    if alert is not None:
        if alert.evidence != evidence:
            alert.evidence = evidence
            alert.save(update_fields=["evidence"])
        return None
    alert = ProbeAlert.objects.create(probe=probe, opened_at=now, evidence=evidence)
    actions.probes.set_status_for_alert(alert)
    logger.warning("Probe %s (%s) alert opened: %s", probe.pk, probe.name, evidence)
    return alert


def _close(alert: ProbeAlert, now: datetime) -> ProbeAlert:
    # The evidence stays as last seen failing: the closed alert says what happened.
    alert.closed_at = now
    alert.save(update_fields=["closed_at"])
    if alert.set_status:
        actions.probes.set_back_after_alert(alert)
    logger.warning("Probe %s alert closed: it recovered", alert.probe_id)
    return alert


@receiver(results_recorded, dispatch_uid="probes.alerts.evaluate")
def evaluate_recorded(sender: object, probe_ids: Iterable[int], **kwargs: object) -> None:
    """Evaluate after each batch of results; a failure here must never stop the runner."""
    ids = list(probe_ids)
    try:
        evaluate(ids)
    except Exception:
        logger.exception("Evaluating probe alerts for %s failed", ids)
