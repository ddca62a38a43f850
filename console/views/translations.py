"""A row's text in the other language, beside the original, with a preview of each."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString

import actions
from console.access import admin_view, editor_view
from console.forms.fields import apply_errors
from console.forms.translations import language_name
from console.models import MessageTemplate
from incidents.markup import render_fresh
from incidents.models import (
    Category,
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
    Tag,
)
from incidents.models.translations import Translatable, other_languages

# Fields written in markdown: previewed as the page shows them.
MARKDOWN_FIELDS = ("body",)
LONG_FIELDS = ("body", "description")


@dataclass(frozen=True)
class Kind:
    model: type[Translatable]
    noun: str
    page: str  # the console page staff come from, and go back to
    owner: str = "pk"  # the field naming that page's row (an update's: its incident's)

    def back(self, item: Translatable) -> str:
        return reverse(self.page, args=[getattr(item, self.owner)])


CONTENT_KINDS = {
    "incident": Kind(Incident, "incident", "console:incident"),
    "incident-update": Kind(IncidentUpdate, "incident update", "console:incident", "incident_id"),
    "maintenance": Kind(Maintenance, "maintenance window", "console:maintenance"),
    "maintenance-update": Kind(
        MaintenanceUpdate, "maintenance update", "console:maintenance", "maintenance_id"
    ),
    "post": Kind(Post, "post", "console:post"),
    "template": Kind(MessageTemplate, "saved message", "console:message_template_edit"),
}
# What only admins may edit, they alone translate.
SETUP_KINDS = {
    "component": Kind(Component, "component", "console:component"),
    "group": Kind(ComponentGroup, "group", "console:group"),
    # Kept in the admin, which the console does not cover.
    "category": Kind(Category, "category", "admin:incidents_category_change"),
    "tag": Kind(Tag, "tag", "admin:incidents_tag_change"),
}


@dataclass(frozen=True)
class Side:
    field: str
    label: str
    original: str
    original_preview: SafeString | str
    field_html: forms.BoundField
    translated_preview: SafeString | str


def _form(item: Translatable, data: object, initial: dict[str, str]) -> forms.Form:
    form = forms.Form(data, initial=initial)  # type: ignore[arg-type]
    for name in item.TRANSLATED_FIELDS:
        widget = forms.Textarea(attrs={"rows": 8}) if name in LONG_FIELDS else forms.TextInput()
        form.fields[name] = forms.CharField(
            required=False, strip=False, label=name.capitalize(), widget=widget
        )
    return form


def _preview(field: str, text: str, language: str) -> SafeString | str:
    if field not in MARKDOWN_FIELDS:
        return text
    with translation.override(language):
        return render_fresh(text)


def _page(request: HttpRequest, kind: Kind, pk: int) -> HttpResponse:
    item = get_object_or_404(kind.model, pk=pk)
    targets = other_languages(item.language)
    if not targets:
        raise Http404("The site has no other language.")
    language = request.GET.get("language", "")
    if language not in targets:
        language = targets[0]
    initial = item.translation(language)
    form = _form(item, request.POST if request.method == "POST" else None, initial)
    shown = initial
    if request.method == "POST" and form.is_valid():
        texts = {name: form.cleaned_data[name] for name in item.TRANSLATED_FIELDS}
        if "save" in request.POST:
            try:
                actions.translate(item, language, texts, author=request.user)
            except ValidationError as problem:
                apply_errors(form, problem)
            else:
                messages.success(request, "The translation is saved.")
                return redirect(kind.back(item))
        shown = texts
    names = {code: language_name(code) for code, _ in settings.LANGUAGES}
    sides = [
        Side(
            field=name,
            label=name.capitalize(),
            original=getattr(item, name) or "",
            original_preview=_preview(name, getattr(item, name) or "", item.language),
            field_html=form[name],
            translated_preview=_preview(name, shown.get(name, ""), language),
        )
        for name in item.TRANSLATED_FIELDS
    ]
    context = {
        "item": item,
        "noun": kind.noun,
        "form": form,
        "sides": sides,
        "original_language": item.language,
        "original_language_name": names.get(item.language, item.language),
        "language": language,
        "language_name": names.get(language, language),
        "back": kind.back(item),
    }
    return render(request, "console/translate.html", context)


@editor_view
def translate_content(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return _page(request, get_kind(CONTENT_KINDS, kind), pk)


@admin_view
def translate_setup(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return _page(request, get_kind(SETUP_KINDS, kind), pk)


def get_kind(kinds: dict[str, Kind], slug: str) -> Kind:
    if slug not in kinds:
        raise Http404("No such kind of text.")
    return kinds[slug]
