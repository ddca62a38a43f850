"""The saved messages a body field offers to insert."""

from __future__ import annotations

from django import template

from console.models import MessageTemplate

register = template.Library()


@register.simple_tag
def message_templates_for(use: str, language: str = "") -> list[MessageTemplate]:
    """The templates for `use`; for a field in another language (a twin, `language`), only
    those with a text in it."""
    chosen = MessageTemplate.objects.filter(use=use)
    if not language:
        return list(chosen.only("pk", "name"))
    rows = chosen.only("pk", "name", "language", "translations")
    return [row for row in rows if row.has_text_in(language)]
