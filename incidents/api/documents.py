"""The public v2 documents, each gathered in a fixed number of queries.

Lists follow Statuspage: incidents.json and scheduled-maintenances.json hold
the 50 most recent items (every unresolved incident too); summary.json holds
the unresolved incidents and the maintenance that is upcoming or under way.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from incidents.api import serializers
from incidents.api.serializers import ComponentTree, Json
from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    UPCOMING_MAINTENANCE_STATUSES,
    Incident,
    Maintenance,
    MaintenanceStatus,
    PublicationState,
    overall_status,
    worst_status,
)

RECENT = 50
# What Statuspage calls upcoming: still in its "scheduled" state (postponed maps there too).
WAITING_MAINTENANCE_STATUSES = (*UPCOMING_MAINTENANCE_STATUSES, MaintenanceStatus.POSTPONED)


def last_change() -> datetime:
    """When anything public last changed (the page's updated_at and Last-Modified)."""
    changed = PublicationState.objects.filter(pk=1).values_list("changed_at", flat=True).first()
    return changed or timezone.now()


def _unresolved() -> list[Incident]:
    return list(Incident.objects.unresolved().with_timeline().order_by("-started_at", "-id"))


def _recent_incidents() -> list[Incident]:
    newest = Incident.objects.order_by("-started_at", "-id").values("pk")[:RECENT]
    return list(
        Incident.objects.filter(Q(status__in=OPEN_INCIDENT_STATUSES) | Q(pk__in=newest))
        .with_timeline()
        .order_by("-started_at", "-id")
    )


def _maintenance(*statuses: str) -> list[Maintenance]:
    return list(
        Maintenance.objects.filter(status__in=statuses)
        .with_timeline()
        .order_by("scheduled_start", "id")
    )


def _recent_maintenance() -> list[Maintenance]:
    shown = Maintenance.objects.exclude(status=MaintenanceStatus.CANCELLED)
    newest = shown.order_by("-scheduled_start", "-id").values("pk")[:RECENT]
    return list(
        Maintenance.objects.filter(pk__in=newest)
        .with_timeline()
        .order_by("-scheduled_start", "-id")
    )


def _status(tree: ComponentTree, unresolved: list[Incident], active: list[Maintenance]) -> Json:
    overall = worst_status(tree.components, unresolved, active)
    return {
        "indicator": overall.indicator,
        "description": serializers.status_description(overall.indicator),
    }


def summary(updated_at: datetime) -> Json:
    tree = ComponentTree.load()
    unresolved = _unresolved()
    maintenance = _maintenance(*WAITING_MAINTENANCE_STATUSES, *ACTIVE_MAINTENANCE_STATUSES)
    active = [m for m in maintenance if m.is_active]
    return {
        "page": serializers.page(updated_at),
        "components": tree.ordered,
        "incidents": [serializers.incident(i, tree) for i in unresolved],
        "scheduled_maintenances": [serializers.maintenance(m, tree) for m in maintenance],
        "status": _status(tree, unresolved, active),
    }


def status(updated_at: datetime) -> Json:
    overall = overall_status()
    return {
        "page": serializers.page(updated_at),
        "status": {
            "indicator": overall.indicator,
            "description": serializers.status_description(overall.indicator),
        },
    }


def components(updated_at: datetime) -> Json:
    tree = ComponentTree.load()
    return {"page": serializers.page(updated_at), "components": tree.ordered}


def _incidents(items: list[Incident], updated_at: datetime) -> Json:
    tree = ComponentTree.load()
    return {
        "page": serializers.page(updated_at),
        "incidents": [serializers.incident(i, tree) for i in items],
    }


def incidents(updated_at: datetime) -> Json:
    return _incidents(_recent_incidents(), updated_at)


def unresolved_incidents(updated_at: datetime) -> Json:
    return _incidents(_unresolved(), updated_at)


def _maintenances(items: list[Maintenance], updated_at: datetime) -> Json:
    tree = ComponentTree.load()
    return {
        "page": serializers.page(updated_at),
        "scheduled_maintenances": [serializers.maintenance(m, tree) for m in items],
    }


def scheduled_maintenances(updated_at: datetime) -> Json:
    return _maintenances(_recent_maintenance(), updated_at)


def upcoming_maintenances(updated_at: datetime) -> Json:
    return _maintenances(_maintenance(*WAITING_MAINTENANCE_STATUSES), updated_at)


def active_maintenances(updated_at: datetime) -> Json:
    return _maintenances(_maintenance(*ACTIVE_MAINTENANCE_STATUSES), updated_at)
