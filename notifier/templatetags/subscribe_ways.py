from __future__ import annotations

from typing import Any

from django import template

from notifier.channels.base import Channel
from notifier.chat_subscribe import where_to_find as chat_where_to_find
from notifier.manage import label_of
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


@register.filter
def way_label(way: Channel) -> str:
    """A way of subscribing as readers call it, in the page's language."""
    return label_of(way)


@register.filter
def where_to_find(channel: Any) -> str:
    """Where a chat service shows its incoming-webhook URL, in the page's language."""
    return chat_where_to_find(channel)
