"""Saved messages: editing them, and filling one into a form's body field."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.http import QueryDict
from django.utils import timezone

from console.forms.fields import MAX_BODY, body_field, small_pk
from console.forms.maintenance import WindowForm, untouched
from console.forms.time_tokens import validate_time_tokens
from console.models import MessageTemplate
from incidents import timefmt
from incidents.clean_text import CleanTextForm
from incidents.models import Component, Incident, Maintenance
from incidents.models.components import page_order

NEXT_UPDATE_IN = timedelta(minutes=30)
# The body fields a template may be put into: "body", or "<prefix>-body" on a page of forms.
BODY_NAME = re.compile(r"^(?:(?P<prefix>[a-z_]{1,30})-)?body$")
PLACEHOLDER_HELP = (
    "Placeholders filled in when the template is inserted: {time} (now, "
    "e.g. 03:45 CET), {next_update} (now + 30 min), {components} (the components the form "
    "names), {title}, {window} (the maintenance window). Others stay for you to replace."
)


class MessageTemplateForm(CleanTextForm, forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["name", "use", "title", "body"]
        help_texts = {"body": PLACEHOLDER_HELP}
        error_messages = {
            "name": {"unique": "There is already a template with this name."},
            "body": {"required": "A template needs a text."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].validators.append(
            MaxLengthValidator(MAX_BODY, message=f"Keep the text under {MAX_BODY:,} characters.")
        )
        self.fields["body"].widget.attrs.update(
            {"rows": 14, "data-markdown-preview": "", "maxlength": str(MAX_BODY)}
        )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("A template needs a text.")
        validate_time_tokens(body)
        return body


class PkChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not small_pk(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class FillForm(CleanTextForm, forms.Form):
    """Which template, and into which field: what the "Insert" button sends with its form."""

    template_pick = PkChoiceField(
        queryset=MessageTemplate.objects.all(),
        error_messages={
            "invalid_choice": "That template no longer exists.",
            "required": "Choose a saved message first.",
        },
    )
    field = forms.RegexField(regex=BODY_NAME)
    label = forms.CharField(max_length=60, required=False)
    rows = forms.IntegerField(min_value=2, max_value=30, required=False)
    optional = forms.BooleanField(required=False)
    maintenance = PkChoiceField(queryset=Maintenance.objects.all(), required=False)
    incident = PkChoiceField(queryset=Incident.objects.all(), required=False)

    @property
    def prefix_of_body(self) -> str | None:
        match = BODY_NAME.match(self.cleaned_data["field"])
        return match["prefix"] if match else None


def _named_components(data: QueryDict, fill: FillForm) -> list[str]:
    ids: set[int] = set()
    for key, value in data.items():
        if key.startswith("component_") and value and key[10:].isdigit():
            ids.add(int(key[10:]))
    ids.update(int(v) for v in data.getlist("components") if v.isdigit())
    chosen = Component.objects.filter(pk__in=ids).order_by(*page_order())
    names = list(chosen.values_list("name", flat=True))
    if not names and (maintenance := fill.cleaned_data["maintenance"]):
        names = [c.name for c in maintenance.affected_components()]
    if not names and (incident := fill.cleaned_data["incident"]):
        names = [row.component.name for row in incident.affected_components()]
    return names


def _window(data: QueryDict, fill: FillForm) -> str | None:
    window = WindowForm(data, prefix=fill.prefix_of_body)
    if window.is_valid():
        start, end = window.cleaned_data["scheduled_start"], window.cleaned_data["scheduled_end"]
    elif maintenance := fill.cleaned_data["maintenance"]:
        start, end = maintenance.scheduled_start, maintenance.scheduled_end
    else:
        return None
    main, others = timefmt.window_everywhere(start, end)
    if not others:
        return main
    return f"{main} ({' / '.join(other.text for other in others)})"


def placeholder_values(data: QueryDict, fill: FillForm) -> dict[str, str]:
    now = timezone.now()
    values = {
        "time": timefmt.clock(now),
        "next_update": timefmt.clock(now + NEXT_UPDATE_IN),
    }
    if components := _named_components(data, fill):
        values["components"] = ", ".join(components)
    target = fill.cleaned_data["maintenance"] or fill.cleaned_data["incident"]
    if title := (data.get("title", "").strip() or (str(target) if target else "")):
        values["title"] = title
    if window := _window(data, fill):
        values["window"] = window
    return values


def inserted(current: str, filled: str) -> str:
    """The template goes after what is already written, never over it (only over the
    form's own untouched starting text)."""
    if untouched(current):
        return filled
    return f"{current.rstrip()}\n\n{filled}"


def body_form(fill: FillForm, text: str) -> forms.Form:
    """A one-field form standing in for the page's body field (same name, label, rows)."""
    label = fill.cleaned_data.get("label") or "Message"

    class BodyOnly(CleanTextForm, forms.Form):
        body = body_field(label=label, required=not fill.cleaned_data.get("optional"))

    form = BodyOnly(prefix=fill.prefix_of_body, initial={"body": text})
    form.fields["body"].widget.attrs["rows"] = fill.cleaned_data.get("rows") or 6
    return form


def fill_template(data: QueryDict, fill: FillForm) -> tuple[str, str]:
    """(title, the body text with the template added after what is already written)."""
    title, text = fill.cleaned_data["template_pick"].fill(**placeholder_values(data, fill))
    return title, inserted(data.get(fill.cleaned_data["field"], ""), text)
