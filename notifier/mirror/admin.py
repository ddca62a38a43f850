from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from notifier.mirror.models import MirrorTarget


@admin.register(MirrorTarget)
class MirrorTargetAdmin(admin.ModelAdmin):
    """Each mirror target's last refresh and its lock, read-only: the workers write them."""

    list_display = [
        "name",
        "last_attempt_at",
        "last_result",
        "last_error",
        "unrendered_report",
        "full_build_at",
    ]
    readonly_fields = [f.name for f in MirrorTarget._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
