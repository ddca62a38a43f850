"""What an act says when staff write nothing ("The maintenance has started."), in every
language of the site: the row's own text in the site's language, the others as translations.

The console offers the same words to start from; left as offered (in any of the site's
languages), they are written in each language too, so a Norwegian reader never gets the
English stock sentence marked as untranslated. Text staff wrote is never touched.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from actions.translations import Translations
from incidents.models.translations import other_languages, site_language

STARTED_TEXT = _("The maintenance has started.")
RESUMED_TEXT = _("The work has resumed.")
VERIFYING_TEXT = _("The work is done; we are verifying that everything works as it should.")
COMPLETED_TEXT = _("The maintenance has been completed.")
# The periodic task's, when a window starts or ends on its own.
STARTED_ON_TIME_TEXT = _("The scheduled maintenance has started.")
COMPLETED_ON_TIME_TEXT = _("The scheduled maintenance has been completed.")


def in_language(stock: Promise, language: str) -> str:
    with override(language):
        return str(stock)


def in_site_language(stock: Promise) -> str:
    return in_language(stock, site_language())


def with_stock_text(
    body: str, translations: Translations | None, stock: Promise
) -> tuple[str, Translations | None]:
    """`body`, or the stock text when it is empty; and when the body is the stock text in one
    of the site's languages, that text in the site's language with the others' added to
    `translations` wherever staff gave no body of their own."""
    site = site_language()
    languages = [site, *other_languages(site)]
    if body.strip() and body.strip() not in {in_language(stock, code) for code in languages}:
        return body, translations
    merged = {language: dict(texts) for language, texts in (translations or {}).items()}
    for language in languages[1:]:
        texts = merged.setdefault(language, {})
        if not (texts.get("body") or "").strip():
            texts["body"] = in_language(stock, language)
    return in_language(stock, site), merged
