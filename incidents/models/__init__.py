from incidents.models.audit import AuditEntry
from incidents.models.components import (
    Component,
    ComponentGroup,
    ComponentQuerySet,
    ComponentStatus,
)
from incidents.models.history import OutOfOrderChange, PeriodCause, StatusPeriod, UptimeDay
from incidents.models.incidents import (
    CLOSED_INCIDENT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    InvalidTransition,
)
from incidents.models.maintenance import (
    ACTIVE_MAINTENANCE_STATUSES,
    FINISHED_MAINTENANCE_STATUSES,
    LONGEST_REMINDER_MINUTES,
    REMINDER_NOTICE_KIND,
    UPCOMING_MAINTENANCE_STATUSES,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
)
from incidents.models.posts import MORE_MARKER, Category, Post, Tag
from incidents.models.probes import (
    DnsRecordType,
    Probe,
    ProbeAlert,
    ProbeClaim,
    ProbeHour,
    ProbeKind,
    ProbeResult,
    TlsMode,
)
from incidents.models.publication import PublicationState
from incidents.models.status import OverallStatus, overall_status, worst_status
from incidents.models.tokens import ApiToken, Scope
from incidents.models.uptime_window import UptimeWindow

__all__ = [
    "ACTIVE_MAINTENANCE_STATUSES",
    "CLOSED_INCIDENT_STATUSES",
    "FINISHED_MAINTENANCE_STATUSES",
    "LONGEST_REMINDER_MINUTES",
    "MORE_MARKER",
    "OPEN_INCIDENT_STATUSES",
    "REMINDER_NOTICE_KIND",
    "UPCOMING_MAINTENANCE_STATUSES",
    "ApiToken",
    "AuditEntry",
    "Category",
    "Component",
    "ComponentGroup",
    "ComponentQuerySet",
    "ComponentStatus",
    "DnsRecordType",
    "Impact",
    "Incident",
    "IncidentComponent",
    "IncidentStatus",
    "IncidentUpdate",
    "InvalidTransition",
    "Maintenance",
    "MaintenanceStatus",
    "MaintenanceUpdate",
    "OutOfOrderChange",
    "OverallStatus",
    "PeriodCause",
    "Post",
    "Probe",
    "ProbeAlert",
    "ProbeClaim",
    "ProbeHour",
    "ProbeKind",
    "ProbeResult",
    "PublicationState",
    "Scope",
    "StatusPeriod",
    "Tag",
    "TlsMode",
    "UptimeDay",
    "UptimeWindow",
    "overall_status",
    "worst_status",
]
