"""Staff's texts in the page's language: the translation where there is one, else the original
in a `lang` element (screen readers then pronounce it right) with a short note."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from incidents.markup import render_markdown
from incidents.models.translations import Translatable

register = template.Library()


@register.filter
def tr(item: Translatable | None, field: str) -> SafeString | str:
    """A short text (a title, a name) for the page, in a `<span lang>` where untranslated."""
    if item is None:
        return ""
    text = item.localized(field)
    if text.untranslated:
        return format_html('<span lang="{}">{}</span>', text.lang, text)
    return text


@register.filter
def tr_text(item: Translatable | None, field: str) -> str:
    """A short text for where no markup may go (an attribute, a <title>)."""
    return "" if item is None else str(item.localized(field))


@register.filter
def names_in_language(items: Iterable[Translatable]) -> str:
    """'IMAP, Webmail': names in the page's language, for a sentence."""
    return ", ".join(item.localized("name") for item in items)


@register.filter
def tr_markdown(item: Translatable | None, field: str) -> SafeString | str:
    """A markdown text rendered; where untranslated, in a `<div lang>` after a short note."""
    if item is None:
        return ""
    text = item.localized(field)
    rendered = render_markdown(text)
    if not text.untranslated:
        return rendered
    return format_html(
        '<p class="untranslated">{}</p><div lang="{}">{}</div>',
        gettext("Not translated yet; shown as written."),
        text.lang,
        rendered,
    )
