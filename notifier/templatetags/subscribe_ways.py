from __future__ import annotations

from typing import Any

from django import template

from notifier.registry import subscribe_ways

register = template.Library()


@register.inclusion_tag("notifier/_subscribe_ways.html")
def ways_to_subscribe(current: str) -> dict[str, Any]:
    """Links to each configured way of subscribing, `current` (a channel name) marked."""
    return {"ways": subscribe_ways(), "current": current}
