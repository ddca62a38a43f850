from __future__ import annotations

from functools import reduce
from operator import or_

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
)
from notifier.models import Subscriber


class TargetKind(models.TextChoices):
    """What a source item became; each value is also the name of the foreign key that holds it."""

    POST = "post"
    INCIDENT = "incident"
    INCIDENT_UPDATE = "incident_update"
    MAINTENANCE = "maintenance"
    MAINTENANCE_UPDATE = "maintenance_update"
    COMPONENT = "component"
    COMPONENT_GROUP = "component_group"
    SUBSCRIBER = "subscriber"


def _exactly_the_kinds_target() -> Q:
    """For each kind: its own foreign key is set and every other one is empty."""
    kinds = list(TargetKind.values)
    return reduce(
        or_,
        (
            Q(kind=kind, **{f"{kind}__isnull": False})
            & Q(**{f"{other}__isnull": True for other in kinds if other != kind})
            for kind in kinds
        ),
    )


class SourceKeyQuerySet(models.QuerySet["SourceKey"]):
    def of(self, source: str, kind: str, source_id: str) -> SourceKey | None:
        return self.filter(source=source, kind=kind, source_id=str(source_id)).first()


class SourceKey(models.Model):
    """One imported item: where it came from (source, kind, id there) and the row it became.

    A foreign key per kind rather than a generic (model label, pk) pair: the database keeps
    the link true (deleting the row deletes its key, so a later import writes it afresh
    instead of pointing at nothing), and the redirects join to the row in one query.
    """

    source = models.CharField(max_length=300, help_text='For example "wordpress:https://…".')
    kind = models.CharField(max_length=32, choices=TargetKind.choices)
    source_id = models.CharField(max_length=200)
    # The item's old address on the source site, path only ("/2016/03/01/slug/"), if it had one.
    source_path = models.CharField(max_length=500, blank=True, db_index=True)
    imported_at = models.DateTimeField()

    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident_update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    maintenance = models.ForeignKey(
        Maintenance, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    maintenance_update = models.ForeignKey(
        MaintenanceUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    component_group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    objects = SourceKeyQuerySet.as_manager()

    class Meta:
        # The old-link redirects look a WordPress post up by its id alone (`/?p=123`).
        indexes = [models.Index(fields=["source_id"], name="source_key_by_source_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="source_key_once_per_source"
            ),
            models.CheckConstraint(
                condition=_exactly_the_kinds_target(), name="source_key_points_at_its_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id}"

    @property
    def target(self) -> models.Model:
        return getattr(self, self.kind)


class ImportReview(models.Model):
    """An uploaded file's parsed plan, waiting for staff to accept, change or skip each item.

    Nothing of the plan is written until it is applied; `choices` holds staff's decisions.
    """

    source = models.CharField(max_length=300)
    file_name = models.CharField(max_length=300)
    zone = models.CharField(max_length=64, help_text="The zone the plan's times are shown in.")
    plan = models.JSONField()
    # Staff's decision per item (source id -> kind or "skip"); an item not here keeps its proposal.
    choices = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d %H:%M %Z})"
