"""The models the history code writes, passed in so a migration can hand its historical ones."""

from __future__ import annotations

from collections.abc import Iterable
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
    Probe: Any
    UptimeWindow: Any = None  # None in a migration from before incidents 0013

    @classmethod
    def from_apps(cls, apps: Any) -> HistoryModels:
        """From an app registry: a migration's `apps`, or django.apps.apps for today's."""
        found = {}
        for name in cls.__annotations__:
            try:
                found[name] = apps.get_model("incidents", name)
            except LookupError:
                if name != "UptimeWindow":
                    raise
        return cls(**found)

    @classmethod
    def current(cls) -> HistoryModels:
        from django.apps import apps

        return cls.from_apps(apps)

    def component_ids(self, given: Iterable[int] | None) -> list[int]:
        """`given` as a list, or every component's id when None."""
        if given is not None:
            return list(given)
        return list(self.Component.objects.values_list("pk", flat=True))
