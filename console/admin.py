"""The Django admin, for what the staff console does not cover. Every save is audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

import actions
from actions.steps import take_version
from console.templatetags.console import translation_links
from incidents.auditing import authenticated_user, record_audit, snapshot
from incidents.clean_text import CleanTextModelForm
from incidents.models import (
    ApiToken,
    Category,
    Component,
    ComponentGroup,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
    Scope,
    Tag,
)
from incidents.models.tokens import TOKEN_PREFIX
from incidents.models.translations import Translatable


class AuditedAdmin(admin.ModelAdmin):
    """Records each save and delete in the audit log, and moves the version of versioned rows.

    Edits here bypass the actions (no notice goes out), so the log is the only trace of them.
    """

    form = CleanTextModelForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(stored) if stored is not None else None
            if hasattr(obj, "version") and stored is not None:
                # A console editor holding the old version is then told someone changed it.
                obj.version = take_version(stored, expected=None)
        super().save_model(request, obj, form, change)
        action = "changed" if change else "added"
        label = f"{obj._meta.model_name}.admin_{action}"
        record_audit(label, obj, actor=request.user, before=before, after=snapshot(obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_audit(
            f"{obj._meta.model_name}.admin_deleted", obj, actor=request.user, before=snapshot(obj)
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            record_audit(
                f"{obj._meta.model_name}.admin_deleted",
                obj,
                actor=request.user,
                before=snapshot(obj),
            )
        super().delete_queryset(request, queryset)


@admin.register(ComponentGroup)
class ComponentGroupAdmin(AuditedAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]


@admin.register(Component)
class ComponentAdmin(AuditedAdmin):
    list_display = ["name", "group", "status", "position", "showcase"]
    list_filter = ["group", "status"]
    list_editable = ["status", "position"]


class IncidentComponentInline(admin.TabularInline):
    form = CleanTextModelForm
    model = IncidentComponent
    extra = 0


class IncidentUpdateInline(admin.StackedInline):
    form = CleanTextModelForm
    model = IncidentUpdate
    extra = 0
    fields = ["status", "posted_at", "body", "author"]


@admin.register(Incident)
class IncidentAdmin(AuditedAdmin):
    list_display = ["title", "status", "impact", "started_at", "resolved_at"]
    list_filter = ["status", "impact"]
    search_fields = ["title", "updates__body"]
    date_hierarchy = "started_at"
    inlines = [IncidentComponentInline, IncidentUpdateInline]


class MaintenanceUpdateInline(admin.StackedInline):
    form = CleanTextModelForm
    model = MaintenanceUpdate
    extra = 0
    fields = ["status", "posted_at", "window_start", "window_end", "body", "author"]


@admin.register(Maintenance)
class MaintenanceAdmin(AuditedAdmin):
    list_display = ["title", "status", "scheduled_start", "scheduled_end", "sequence"]
    list_filter = ["status"]
    search_fields = ["title", "body"]
    date_hierarchy = "scheduled_start"
    filter_horizontal = ["components"]
    inlines = [MaintenanceUpdateInline]


class TranslatedAdmin(AuditedAdmin):
    """Its texts in the other language on the console's translation page, linked from here."""

    exclude = ["language", "translations"]
    readonly_fields = ["other_languages"]
    translation_kind = ""

    @admin.display(description="Other languages")
    def other_languages(self, item: Translatable) -> str:
        if item.pk is None:
            return "Save it first, then add its text in the other language here."
        return translation_links(item, self.translation_kind) or "This site has one language."


@admin.register(Category)
class CategoryAdmin(TranslatedAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
    translation_kind = "category"


@admin.register(Tag)
class TagAdmin(TranslatedAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    translation_kind = "tag"


@admin.register(Post)
class PostAdmin(AuditedAdmin):
    list_display = ["title", "published_at", "incident", "maintenance"]
    list_filter = ["categories"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["categories", "tags"]
    raw_id_fields = ["incident", "maintenance"]


class ApiTokenForm(CleanTextModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "created_by"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here or with `manage.py create_api_token`; the secret shows once."""

    form = ApiTokenForm
    list_display = ["name", "shown_prefix", "scopes", "created_by", "last_used_at", "is_active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["shown_prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="prefix")
    def shown_prefix(self, token: ApiToken) -> str:
        return f"{TOKEN_PREFIX}{token.prefix}_…" if token.prefix else ""

    @admin.display(boolean=True, description="active")
    def is_active(self, token: ApiToken) -> bool:
        return token.is_active

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        # A token's rights are fixed once issued: revoke it and issue another instead.
        fixed = ["name", "scopes", "created_by"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            return
        token, secret = actions.issue_api_token(
            name=obj.name,
            scopes=obj.scopes,
            user=obj.created_by or authenticated_user(request.user),
            author=request.user,
        )
        obj.pk = token.pk
        obj.refresh_from_db()  # what the admin shows and logs next
        messages.warning(request, f"Copy this token now; it will not be shown again: {secret}")

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        actions.delete_api_token(obj, author=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            actions.delete_api_token(token, author=request.user)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            actions.set_api_token_enabled(token, False, author=request.user)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
