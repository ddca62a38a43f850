"""What an export holds, in the order a restore writes it, and what it leaves out and why.

Every concrete model of every installed app is in exactly one of the two lists
(tests/test_export_catalogue.py fails otherwise), so a model added later is a decision,
not an omission. Models are named by label: the catalogue reaches `console` and Django's
apps without importing them, which keeps `actions` below the staff side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import models


def _unusable_password() -> str:
    return make_password(None)


@dataclass(frozen=True)
class Exported:
    """One model the export writes, row by row.

    secret_fields: written only with --with-secrets; without them a restored row gets what
    the callable returns (None: the field's own default, such as a fresh webhook secret).
    secret_only: the whole row is a secret (a credential), written only with --with-secrets.
    fresh_fields: never written; a restored row gets the field's default (a new cache token).
    seeded: (field, values) of rows the migrations create on every new site, or EVERY_ROW for
    bookkeeping any site has; a restore treats them as absent (the site is still empty) and
    replaces them with the file's rows.
    """

    label: str
    secret_fields: dict[str, Callable[[], object] | None] = field(default_factory=dict)
    secret_only: bool = False
    fresh_fields: frozenset[str] = frozenset()
    seeded: tuple[str, frozenset[str]] | Literal["every row"] | None = None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


# The names console/migrations/0003_seed_message_templates.py and 0002_role_groups.py give
# their rows (tests/test_export_catalogue.py checks they still agree).
SEEDED_TEMPLATE_NAMES = frozenset(
    {
        "DDoS: update",
        "DDoS: resolved",
        "Investigating",
        "Maintenance announcement",
        "Maintenance: postponed (work reverted)",
    }
)
SEEDED_GROUP_NAMES = frozenset({"Editors", "Admins"})
EVERY_ROW: Literal["every row"] = "every row"

# Dependency order: a row comes after every row it points to.
EXPORTED: tuple[Exported, ...] = (
    Exported("auth.group", seeded=("name", SEEDED_GROUP_NAMES)),
    Exported("auth.user", secret_fields={"password": _unusable_password}),
    Exported("otp_totp.totpdevice", secret_only=True),
    Exported("incidents.componentgroup"),
    Exported("incidents.component"),
    Exported("incidents.category"),
    Exported("incidents.tag"),
    Exported("incidents.incident"),
    Exported("incidents.incidentcomponent"),
    Exported("incidents.incidentupdate"),
    Exported("incidents.maintenance"),
    Exported("incidents.maintenanceupdate"),
    Exported("incidents.post"),
    # The evidence: a component's status history, its days, and what its probes saw.
    Exported("incidents.probe"),
    Exported("incidents.statusperiod"),
    Exported("incidents.uptimeday"),
    Exported("incidents.proberesult"),
    Exported("incidents.probehour"),
    Exported("incidents.probealert"),
    Exported("console.messagetemplate", seeded=("name", SEEDED_TEMPLATE_NAMES)),
    Exported("incidents.apitoken", secret_only=True),
    Exported("notifier.subscriber", secret_fields={"key": None}),
    Exported("notifier.contactpoint"),
    Exported("notifier.unsubscribed"),
    Exported("notifier.webhookendpoint", secret_fields={"secret": None}),
    Exported("incidents.auditentry"),
    # Which row each imported item became: a later import of the same source updates them.
    Exported("importers.sourcekey"),
    # When anything public last changed: the API's page.updated_at and Last-Modified.
    Exported("incidents.publicationstate", fresh_fields=frozenset({"token"}), seeded=EVERY_ROW),
)

EXCLUDED: dict[str, str] = {
    "notifier.notice": "The delivery ledger: what this site's workers were asked to send. "
    "Restored, its pending rows would be sent again; the audit log keeps who published what.",
    "notifier.delivery": "Transient delivery state of the notices (see notifier.notice).",
    "notifier.expansion": "Transient: a channel's audience a worker was turning into deliveries.",
    "notifier.ratelimitlog": "Transient: request counters that expire within minutes.",
    "mirror.mirrortarget": "The mirror's lock lease and what a target last showed: the new "
    "site builds its mirror afresh.",
    "mirror.mirrorchange": "The mirror refresh's queue of changed pages, read within a minute.",
    "importers.importreview": "An uploaded plan waiting for staff: upload the file again on "
    "the restored site.",
    "incidents.probeclaim": "Transient: which worker of a location runs a probe's next slot.",
    "incidents.uptimewindow": "Derived: each component's last 90 days of incidents.uptimeday "
    "rolled up into one row; the restore rolls it up again from the days it writes.",
    "admin.logentry": "The Django admin's own log; our audit log (incidents.auditentry) is "
    "the record of who did what.",
    "auth.permission": "Made by `migrate` on every site; groups and users name theirs by "
    "natural key.",
    "contenttypes.contenttype": "Made by `migrate` on every site.",
    "sessions.session": "Sign-ins: staff sign in again on the restored site.",
    "axes.accessattempt": "Transient: failed sign-ins counted for lockouts.",
    "axes.accessattemptexpiration": "Transient: when a lockout ends.",
    "axes.accessfailurelog": "Transient: failed sign-ins, kept for lockouts.",
    "axes.accesslog": "Sign-in log of this site's sessions.",
}


def exported_labels() -> list[str]:
    return [entry.label for entry in EXPORTED]


def entry_for(label: str) -> Exported | None:
    return next((entry for entry in EXPORTED if entry.label == label), None)
