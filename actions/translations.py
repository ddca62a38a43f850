"""A row's texts in the other language: checked once, whether added later or with the publish."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models, transaction

from actions.steps import Author
from incidents.auditing import record_audit
from incidents.clean_text import cleaned
from incidents.models import IncidentUpdate, MaintenanceUpdate
from incidents.models.translations import Translatable, other_languages, site_language

# {"nb": {"title": "...", "body": "..."}}: texts by language, then by field.
Translations = Mapping[str, Mapping[str, str]]


def checked_texts(model: type[Translatable], texts: Mapping[str, str]) -> dict[str, str]:
    """The texts of `model`'s translated fields, cleaned, empty ones left out; others ignored.

    Raises ValidationError naming each bad text by its field.
    """
    given: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in model.TRANSLATED_FIELDS:
        try:
            text = cleaned(texts.get(field) or "").strip()
        except ValueError as problem:
            errors[field] = str(problem)
            continue
        column = model._meta.get_field(field)
        # As long as the original's column allows (bodies have no limit there).
        limit = column.max_length if isinstance(column, models.Field) else None
        if limit is not None and len(text) > limit:
            errors[field] = f"At most {limit} characters ({len(text)} given)."
        elif text:
            given[field] = text
    if errors:
        raise ValidationError(errors)
    return given


def not_another_language(language: str, original: str) -> str:
    """Why `language` cannot translate a text written in `original`; empty when it can."""
    if language in other_languages(original):
        return ""
    return f"{language!r} is not another language of the site."


def publish_translations(
    translations: Translations | None,
    *models: type[Translatable],
    written_in: str | None = None,
) -> list[dict[str, dict[str, str]]]:
    """Each model's share of the texts staff gave with a publish, for its rows' `translations`.

    Checked as `translate` checks them, for rows written in `written_in` (the site's language),
    with one ValidationError naming every bad text by field and language ("title_nb"). A
    language whose texts are all empty is left out: the publish goes out untranslated.
    """
    written_in = written_in or site_language()
    shares: list[dict[str, dict[str, str]]] = [{} for _ in models]
    errors: dict[str, list[str]] = {}
    for language, texts in (translations or {}).items():
        if problem := not_another_language(language, written_in):
            errors["translations"] = [problem]
            continue
        for share, model in zip(shares, models, strict=True):
            try:
                if given := checked_texts(model, texts):
                    share[language] = given
            except ValidationError as refused:
                for field, messages in refused.message_dict.items():
                    errors[f"{field}_{language}"] = messages
    if errors:
        raise ValidationError(errors)
    return shares


def replaced(
    current: Translations | None, languages: Iterable[str], given: Translations
) -> dict[str, dict[str, str]]:
    """`current` with each of `languages` set to its texts in `given`, or removed if none."""
    languages = set(languages)
    kept = {code: dict(texts) for code, texts in (current or {}).items() if code not in languages}
    return kept | {code: dict(texts) for code, texts in given.items() if code in languages}


def audit_lines(translations: Translations | None, language: str | None = None) -> dict[str, str]:
    """{"title_nb": "..."}: one line per text in the audit log (every language by default)."""
    return {
        f"{field}_{code}": text
        for code, texts in (translations or {}).items()
        if language in (None, code)
        for field, text in texts.items()
    }


@transaction.atomic
def translate(
    item: Translatable, language: str, texts: Mapping[str, str], *, author: Author = None
) -> Translatable:
    """Set `item`'s texts in `language` (an empty text removes that field's translation).

    Nobody is told: a translation changes how a page reads, not what happened. The pages
    and the mirror pick it up as they do any edit.
    """
    if problem := not_another_language(language, item.language):
        raise ValidationError({"language": problem})
    given = checked_texts(type(item), texts)
    item = type(item)._default_manager.select_for_update().get(pk=item.pk)
    before: dict[str, object] = dict(audit_lines(item.translations, language))
    translations = replaced(item.translations, [language], {language: given} if given else {})
    if translations == item.translations:
        return item
    item.translations = translations
    fields = ["translations"]
    if any(field.name == "updated_at" for field in item._meta.fields):
        fields.append("updated_at")
    item.save(update_fields=fields)
    subject, audited = _audited(item)
    after: dict[str, object] = dict(audit_lines(translations, language))
    if audited is not item:
        before, after = {"update": item.pk, **before}, {"update": item.pk, **after}
    record_audit(f"{subject}.translated", audited, actor=author, before=before, after=after)
    return item


def _audited(item: Translatable) -> tuple[str, models.Model]:
    """The audit's subject and row: an update's translation is in its incident's history."""
    if isinstance(item, IncidentUpdate):
        return "incident", item.incident
    if isinstance(item, MaintenanceUpdate):
        return "maintenance", item.maintenance
    subjects = {"componentgroup": "group", "messagetemplate": "template"}
    name = item._meta.model_name or ""
    return subjects.get(name, name), item
