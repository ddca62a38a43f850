"""The page's overall status: the worst of what is happening now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from incidents.models.components import Component, ComponentStatus
from incidents.models.incidents import Impact, Incident
from incidents.models.maintenance import Maintenance


@dataclass(frozen=True)
class OverallStatus:
    # The Statuspage indicator: none, maintenance, minor, major or critical.
    indicator: str
    description: str  # in English, as the console and the notices say it
    rank: int

    @property
    def label(self) -> str:
        """The description in the reader's language (the public pages)."""
        return gettext(self.description)

    @property
    def css_class(self) -> str:
        return f"status-{self.indicator}"


OPERATIONAL = OverallStatus("none", gettext_noop("All systems operational"), 0)
MAINTENANCE = OverallStatus("maintenance", gettext_noop("Service under maintenance"), 1)
MINOR = OverallStatus("minor", gettext_noop("Minor service disruption"), 2)
MAJOR = OverallStatus("major", gettext_noop("Partial service outage"), 3)
CRITICAL = OverallStatus("critical", gettext_noop("Major service outage"), 4)

_BY_COMPONENT_STATUS = {
    ComponentStatus.OPERATIONAL: OPERATIONAL,
    ComponentStatus.UNDER_MAINTENANCE: MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE: MINOR,
    ComponentStatus.PARTIAL_OUTAGE: MAJOR,
    ComponentStatus.MAJOR_OUTAGE: CRITICAL,
}
_BY_IMPACT = {
    Impact.NONE: OPERATIONAL,
    Impact.MINOR: MINOR,
    Impact.MAJOR: MAJOR,
    Impact.CRITICAL: CRITICAL,
}


def worst_status(
    components: Iterable[Component],
    unresolved_incidents: Iterable[Incident],
    active_maintenance: Iterable[Maintenance],
) -> OverallStatus:
    """The worst of component statuses, unresolved incident impacts and work in progress."""
    candidates = [OPERATIONAL]
    candidates += [_BY_COMPONENT_STATUS[ComponentStatus(c.status)] for c in components]
    candidates += [_BY_IMPACT[Impact(i.impact)] for i in unresolved_incidents]
    candidates += [MAINTENANCE for _ in active_maintenance]
    return max(candidates, key=lambda status: status.rank)


def overall_status() -> OverallStatus:
    """The page's status: the worst of the components, unresolved incidents and maintenance
    in progress."""
    return worst_status(
        Component.objects.only("status"),
        Incident.objects.unresolved().only("impact"),
        Maintenance.objects.active().only("id"),
    )


_RANK_BY_VALUE = {
    str(status.value): overall.rank for status, overall in _BY_COMPONENT_STATUS.items()
}


def component_status_rank(status: str) -> int:
    # By the plain value first: making the enum member costs more than the lookup, and the
    # uptime bars rank every day a group's members tell.
    rank = _RANK_BY_VALUE.get(status)
    if rank is None:
        return _BY_COMPONENT_STATUS[ComponentStatus(status)].rank  # ValueError if unknown
    return rank
