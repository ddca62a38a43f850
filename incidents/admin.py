"""The Django admin, until the staff console lands. Status changes go through actions."""

from __future__ import annotations

from django.contrib import admin

from incidents.models import (
    Category,
    Component,
    ComponentGroup,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
    Tag,
)


@admin.register(ComponentGroup)
class ComponentGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "status", "position", "showcase"]
    list_filter = ["group", "status"]
    list_editable = ["status", "position"]


class IncidentComponentInline(admin.TabularInline):
    model = IncidentComponent
    extra = 0


class IncidentUpdateInline(admin.StackedInline):
    model = IncidentUpdate
    extra = 0
    fields = ["status", "posted_at", "body", "author"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "impact", "started_at", "resolved_at"]
    list_filter = ["status", "impact"]
    search_fields = ["title", "updates__body"]
    date_hierarchy = "started_at"
    inlines = [IncidentComponentInline, IncidentUpdateInline]


class MaintenanceUpdateInline(admin.StackedInline):
    model = MaintenanceUpdate
    extra = 0
    fields = ["status", "posted_at", "window_start", "window_end", "body", "author"]


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "scheduled_start", "scheduled_end", "sequence"]
    list_filter = ["status"]
    search_fields = ["title", "body"]
    date_hierarchy = "scheduled_start"
    filter_horizontal = ["components"]
    inlines = [MaintenanceUpdateInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "incident", "maintenance"]
    list_filter = ["categories"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["categories", "tags"]
    raw_id_fields = ["incident", "maintenance"]
