"""The other languages beside the original in a publish form: optional fields staff may fill.

Each translated field gets a twin per other language of the site ("title" -> "title_nb"),
labelled with its language and marked with it (`lang`) for screen readers and spell checkers.
What is given goes to the action with the publish (its `translations=`), which checks it with
the rule every translation follows (actions.translations) and names a bad text by the twin's
name, so the error shows on the field. A site in one language gets no twins and no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms.utils import pretty_name
from django.utils import translation

from console.forms.time_tokens import validate_time_tokens
from incidents.models.translations import Translatable, other_languages, site_language


def language_name(code: str) -> str:
    """The language's English name, as the console (in English) calls it."""
    return str(translation.get_language_info(code)["name"])


@dataclass(frozen=True)
class LanguageFields:
    """One other language's twins in a form, for its fieldset."""

    language: str
    name: str
    fields: list[tuple[forms.BoundField, bool]]  # each with whether it is markdown
    help_id: str

    @property
    def filled(self) -> bool:
        return any(field.value() or field.errors for field, _ in self.fields)


class TranslationFields(forms.BaseForm):
    """A form whose `translated` fields each get an optional twin per other language."""

    translated: tuple[str, ...] = ()
    translation_languages: list[str]

    def add_translation_fields(self, written_in: str | None = None) -> None:
        """Call once the originals are on the form; `written_in`: an existing row's language."""
        self.translation_languages = other_languages(written_in or site_language())
        for language in self.translation_languages:
            for name in self.translated:
                self.fields[f"{name}_{language}"] = _twin(self.fields[name], name, language)

    def translation_fieldsets(self) -> list[LanguageFields]:
        return [
            LanguageFields(
                language=language,
                name=language_name(language),
                fields=[
                    (self[f"{name}_{language}"], _is_markdown(self.fields[name]))
                    for name in self.translated
                ],
                help_id=f"id_{self.add_prefix(f'translations_{language}')}_help",
            )
            for language in getattr(self, "translation_languages", [])
        ]

    def translations(self) -> dict[str, dict[str, str]] | None:
        """{"nb": {"title": ..., "body": ...}} as typed, for the action; None with no twins."""
        languages = getattr(self, "translation_languages", [])
        if not languages:
            return None
        return {
            language: {
                name: self.cleaned_data.get(f"{name}_{language}") or "" for name in self.translated
            }
            for language in languages
        }


def translation_initial(item: Translatable) -> dict[str, str]:
    """The twins' values for a form that edits `item`: the translations it has."""
    return {
        f"{field}_{language}": text
        for language in other_languages(item.language)
        for field, text in item.translation(language).items()
    }


def _is_markdown(original: forms.Field) -> bool:
    return isinstance(original.widget, forms.Textarea)


def _twin(original: forms.Field, name: str, language: str) -> forms.CharField:
    attrs: dict[str, Any] = {"lang": language}
    widget: forms.Widget
    if _is_markdown(original):
        attrs["rows"] = original.widget.attrs.get("rows", 6)
        widget = forms.Textarea(attrs=attrs)
    else:
        widget = forms.TextInput(attrs=attrs)
    return forms.CharField(
        label=f"{original.label or pretty_name(name)} ({language_name(language)})",
        required=False,
        widget=widget,
        # A time token that is not a time would reach readers as typed, in any language.
        validators=[validate_time_tokens] if _is_markdown(original) else [],
    )
