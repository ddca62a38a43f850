from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models.translations import Translatable


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")


class ComponentGroup(Translatable):
    TRANSLATED_FIELDS = ("name", "description")

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


def page_order(path: str = "") -> list[models.expressions.OrderBy | str]:
    """The status page's order: components without a group first, then group by group.

    `path` reaches the component from another model ("component__"), so every list
    of an incident's or a window's components can be sorted the same way.
    """
    return [
        models.F(f"{path}group__position").asc(nulls_first=True),
        f"{path}group__name",
        f"{path}position",
        f"{path}name",
    ]


class ComponentQuerySet(models.QuerySet["Component"]):
    def for_status_page(self) -> ComponentQuerySet:
        return self.select_related("group").order_by(*page_order())

    def not_operational(self) -> ComponentQuerySet:
        return self.exclude(status=ComponentStatus.OPERATIONAL)


class Component(Translatable):
    TRANSLATED_FIELDS = ("name", "description")

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    group = models.ForeignKey(
        ComponentGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="components",
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=30, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    showcase = models.BooleanField(
        default=True, help_text="Show on the status page (hidden components still have a status)."
    )
    only_show_if_degraded = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComponentQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_visible(self) -> bool:
        if not self.showcase:
            return False
        return not (self.only_show_if_degraded and self.status == ComponentStatus.OPERATIONAL)
