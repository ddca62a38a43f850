"""Saved messages: editing them, and filling one into a form's body field."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.http import QueryDict
from django.utils import timezone, translation

from console.forms.fields import MAX_BODY, body_field, small_pk
from console.forms.maintenance import WindowForm, untouched
from console.forms.time_tokens import validate_time_tokens
from console.models import MessageTemplate
from incidents import timefmt
from incidents.clean_text import CleanTextForm
from incidents.models import Component, Incident, Maintenance
from incidents.models.components import page_order
from incidents.models.translations import Localized, site_language

NEXT_UPDATE_IN = timedelta(minutes=30)
# The body fields a template may be put into: "body", or "<prefix>-body" on a page of forms,
# and their twins in the site's other language ("body_nb", console/forms/translations.py).
BODY_NAME = re.compile(
    r"^(?:(?P<prefix>[a-z_]{1,30})-)?(?P<name>body(?:_(?P<language>[a-z]{2,3}))?)$"
)
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


def _body_parts(field: str) -> dict[str, str | None]:
    """A valid body field's name in parts: its form's prefix, its name, its language."""
    match = BODY_NAME.match(field)
    return match.groupdict() if match else {"prefix": None, "name": None, "language": None}


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

    def __init__(self, data: QueryDict) -> None:
        # A twin's picker has its own name ("template_pick_nb"): both are in the form sent.
        match = BODY_NAME.match(data.get("field", ""))
        if match and match["language"]:
            data = data.copy()
            data["template_pick"] = data.get(f"template_pick_{match['language']}", "")
        super().__init__(data)

    def clean_field(self) -> str:
        field = str(self.cleaned_data["field"])
        language = _body_parts(field)["language"]
        if language and language not in dict(settings.LANGUAGES):
            raise forms.ValidationError("This site has no such language.")
        return field

    @property
    def prefix_of_body(self) -> str | None:
        return _body_parts(self.cleaned_data["field"])["prefix"]

    @property
    def body_name(self) -> str:
        """The field's name without its form's prefix: "body", or its twin "body_nb"."""
        return _body_parts(self.cleaned_data["field"])["name"] or "body"

    @property
    def twin_language(self) -> str | None:
        """The other language whose twin the field is, None for the original's own field."""
        return _body_parts(self.cleaned_data["field"])["language"]

    @property
    def language(self) -> str:
        return self.twin_language or site_language()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        template = cleaned.get("template_pick")
        language = self.twin_language if "field" in cleaned else None
        if template and language and not template.has_text_in(language):
            name = translation.get_language_info(language)["name"]
            self.add_error(
                "template_pick",
                f"“{template.name}” has no {name} text yet: add it on the template's "
                f"{name} page, or write this one yourself.",
            )
        return cleaned


def _named_components(data: QueryDict, fill: FillForm) -> list[Localized]:
    ids: set[int] = set()
    for key, value in data.items():
        if key.startswith("component_") and value and key[10:].isdigit():
            ids.add(int(key[10:]))
    ids.update(int(v) for v in data.getlist("components") if v.isdigit())
    components = list(Component.objects.filter(pk__in=ids).order_by(*page_order()))
    if not components and (maintenance := fill.cleaned_data["maintenance"]):
        components = list(maintenance.affected_components())
    if not components and (incident := fill.cleaned_data["incident"]):
        components = [row.component for row in incident.affected_components()]
    return [component.localized("name", fill.language) for component in components]


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
    """What the placeholders stand for, written in the language of the field filled."""
    with translation.override(fill.language):
        return _placeholder_values(data, fill)


def _placeholder_values(data: QueryDict, fill: FillForm) -> dict[str, str]:
    now = timezone.now()
    values = {
        "time": timefmt.clock(now),
        "next_update": timefmt.clock(now + NEXT_UPDATE_IN),
    }
    if components := _named_components(data, fill):
        values["components"] = ", ".join(components)
    target = fill.cleaned_data["maintenance"] or fill.cleaned_data["incident"]
    typed = data.get(title_name(fill), "").strip()
    if title := (typed or (target.localized("title", fill.language) if target else "")):
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


def title_name(fill: FillForm) -> str:
    """The title field beside the body field filled: "title", or its twin "title_nb"."""
    return f"title_{fill.twin_language}" if fill.twin_language else "title"


def body_form(fill: FillForm, text: str) -> forms.Form:
    """A one-field form standing in for the page's body field (same name, label, rows)."""
    label = fill.cleaned_data.get("label") or "Message"
    field = body_field(label=label, required=not fill.cleaned_data.get("optional"))
    field.widget.attrs["rows"] = fill.cleaned_data.get("rows") or 6
    if fill.twin_language:
        field.widget.attrs["lang"] = fill.twin_language
    body_only = type("BodyOnly", (CleanTextForm, forms.Form), {fill.body_name: field})
    return body_only(prefix=fill.prefix_of_body, initial={fill.body_name: text})


def fill_template(data: QueryDict, fill: FillForm) -> tuple[str, str]:
    """(title, the body text with the template added after what is already written), in the
    language of the field filled: the template's text in it (the form has refused a template
    without it for a twin), the original's own field as before."""
    template = fill.cleaned_data["template_pick"]
    title, text = template.fill(fill.language, **placeholder_values(data, fill))
    return title, inserted(data.get(fill.cleaned_data["field"], ""), text)
