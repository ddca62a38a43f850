"""The saved messages a body field offers to insert."""

from __future__ import annotations

from django import template

from console.models import MessageTemplate

register = template.Library()


@register.simple_tag
def message_templates_for(use: str) -> list[MessageTemplate]:
    return list(MessageTemplate.objects.filter(use=use).only("pk", "name"))
