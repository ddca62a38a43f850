"""Adding or changing a row's text in the other language: its one act."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

from actions.steps import Author
from incidents.auditing import record_audit
from incidents.clean_text import cleaned
from incidents.models import IncidentUpdate, MaintenanceUpdate
from incidents.models.translations import Translatable


def _texts(item: Translatable, texts: Mapping[str, str]) -> dict[str, str]:
    given: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in item.TRANSLATED_FIELDS:
        try:
            text = cleaned(texts.get(field) or "").strip()
        except ValueError as problem:
            errors[field] = str(problem)
            continue
        column = item._meta.get_field(field)
        # As long as the original's column allows (bodies have no limit there).
        limit = column.max_length if isinstance(column, models.Field) else None
        if limit is not None and len(text) > limit:
            errors[field] = f"At most {limit} characters ({len(text)} given)."
        elif text:
            given[field] = text
    if errors:
        raise ValidationError(errors)
    return given


@transaction.atomic
def translate(
    item: Translatable, language: str, texts: Mapping[str, str], *, author: Author = None
) -> Translatable:
    """Set `item`'s texts in `language` (an empty text removes that field's translation).

    Nobody is told: a translation changes how a page reads, not what happened. The pages
    and the mirror pick it up as they do any edit.
    """
    if language not in dict(settings.LANGUAGES) or language == item.language:
        raise ValidationError({"language": f"{language!r} is not another language of the site."})
    given = _texts(item, texts)
    item = type(item)._default_manager.select_for_update().get(pk=item.pk)
    before = _texts_in(item.translations, language)
    translations = {code: dict(fields) for code, fields in (item.translations or {}).items()}
    if given:
        translations[language] = given
    else:
        translations.pop(language, None)
    if translations == item.translations:
        return item
    item.translations = translations
    fields = ["translations"]
    if any(field.name == "updated_at" for field in item._meta.fields):
        fields.append("updated_at")
    item.save(update_fields=fields)
    subject, audited = _audited(item)
    after: dict[str, object] = _texts_in(translations, language)
    if audited is not item:
        before, after = {"update": item.pk, **before}, {"update": item.pk, **after}
    record_audit(f"{subject}.translated", audited, actor=author, before=before, after=after)
    return item


def _texts_in(translations: dict[str, dict[str, str]] | None, language: str) -> dict[str, object]:
    """{"title_nb": "..."}: one line per text in the audit log."""
    return {
        f"{field}_{language}": text
        for field, text in (translations or {}).get(language, {}).items()
    }


def _audited(item: Translatable) -> tuple[str, models.Model]:
    """The audit's subject and row: an update's translation is in its incident's history."""
    if isinstance(item, IncidentUpdate):
        return "incident", item.incident
    if isinstance(item, MaintenanceUpdate):
        return "maintenance", item.maintenance
    subjects = {"componentgroup": "group", "messagetemplate": "template"}
    name = item._meta.model_name or ""
    return subjects.get(name, name), item
