"""The models the history code writes, passed in so a migration can hand its historical ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HistoryModels:
    Component: Any
    StatusPeriod: Any
    UptimeDay: Any
    IncidentUpdate: Any
    IncidentComponent: Any
    Maintenance: Any
    MaintenanceUpdate: Any
    AuditEntry: Any

    @classmethod
    def from_apps(cls, apps: Any) -> HistoryModels:
        """From an app registry: a migration's `apps`, or django.apps.apps for today's."""
        return cls(**{name: apps.get_model("incidents", name) for name in cls.__annotations__})

    @classmethod
    def current(cls) -> HistoryModels:
        from django.apps import apps

        return cls.from_apps(apps)
