from __future__ import annotations

from typing import Any

from django import template

from notifier.registry import subscribe_ways

register = template.Library()


def for_token_in(context: template.Context) -> str:
    """The manage token of a reader adding a channel from their own page, if any."""
    if token := context.get("for_token"):
        return str(token)
    request = context.get("request")
    if request is None:
        return ""
    return str(request.POST.get("for") or request.GET.get("for") or "")


@register.inclusion_tag("notifier/_subscribe_ways.html", takes_context=True)
def ways_to_subscribe(context: template.Context, current: str) -> dict[str, Any]:
    """Links to each configured way of subscribing, `current` (a channel name) marked; a
    reader come from their own page keeps their `?for=` token on every link."""
    return {"ways": subscribe_ways(), "current": current, "for_token": for_token_in(context)}
