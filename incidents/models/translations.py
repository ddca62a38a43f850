"""Content in two languages: what staff wrote, in its language, and what they added in the other.

A row keeps its text where it always has (`title`, `body`, ...) in `language`, the language it
was written in, and the other language's texts in `translations` ({"nb": {"title": ...}}).
Reading asks for a language and gets either its translation or the original, marked with the
original's language so a page can say so (and screen readers pronounce it right). Nothing is
ever translated automatically, and a missing translation never stops a publish.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import get_language


def site_language() -> str:
    return settings.LANGUAGE_CODE


def other_languages(language: str) -> list[str]:
    return [code for code, _ in settings.LANGUAGES if code != language]


class Localized(str):
    """A text and the language it is in."""

    lang: str

    def __new__(cls, text: str, lang: str) -> Localized:
        value = super().__new__(cls, text)
        value.lang = lang
        return value

    def __reduce__(self) -> tuple[type[Localized], tuple[str, str]]:
        return Localized, (str(self), self.lang)  # cached feeds and pages pickle it

    @property
    def untranslated(self) -> bool:
        """Shown in its original language on a page in another."""
        return bool(self) and self.lang != (get_language() or settings.LANGUAGE_CODE)


# (field, language) -> {value: label}: get_FOO_display() made Django hash every lazy label of
# the field's choices on each call, translating each, tens of thousands of times per build.
_CHOICE_LABELS: dict[tuple[models.Field[Any, Any], str], dict[Any, str]] = {}


class ChoiceLabels(models.Model):
    """get_FOO_display() from one dict per field and language, not a new one per call."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> str:
        key = (field, get_language() or settings.LANGUAGE_CODE)
        labels = _CHOICE_LABELS.get(key)
        if labels is None:
            labels = _CHOICE_LABELS[key] = {value: str(label) for value, label in field.flatchoices}
        value = getattr(self, field.attname)
        return labels.get(value, value)


class Translatable(ChoiceLabels):
    TRANSLATED_FIELDS: ClassVar[tuple[str, ...]] = ()

    language = models.CharField(
        max_length=8, default=site_language, help_text="The language it was written in."
    )
    translations = models.JSONField(
        default=dict, blank=True, help_text='The other languages\' texts: {"nb": {"title": ...}}.'
    )

    class Meta:
        abstract = True

    def localized(self, field: str, language: str | None = None) -> Localized:
        """`field` in `language` (by default the active one), else the original."""
        language = language or get_language() or settings.LANGUAGE_CODE
        if language != self.language:
            translated = (self.translations or {}).get(language, {}).get(field)
            if translated:
                return Localized(translated, language)
        return Localized(getattr(self, field) or "", self.language)

    def translation(self, language: str) -> dict[str, str]:
        return {
            field: text
            for field, text in (self.translations or {}).get(language, {}).items()
            if field in self.TRANSLATED_FIELDS and text
        }

    def is_translated_into(self, language: str) -> bool:
        if language == self.language:
            return True
        given = self.translation(language)
        return all(given.get(field) for field in self.TRANSLATED_FIELDS if getattr(self, field))
