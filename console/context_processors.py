"""The console's navigation and the signed-in staff member's role, for every console page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from console.roles import Role, role_of
from incidents import timefmt

# (URL name, label, role needed), in the order of the menu.
NAVIGATION: list[tuple[str, str, Role]] = [
    ("console:dashboard", "Dashboard", Role.EDITOR),
    ("console:incidents", "Incidents", Role.EDITOR),
    ("console:posts", "Posts", Role.EDITOR),
    ("console:maintenance_list", "Maintenance", Role.EDITOR),
    ("console:message_templates", "Templates", Role.EDITOR),
    ("console:notices", "Deliveries", Role.EDITOR),
    ("console:outbox", "Outbox", Role.EDITOR),  # only with the embedded mail server
    ("console:components", "Components", Role.ADMIN),
    ("console:users", "Staff", Role.ADMIN),
    ("console:webhooks", "Webhooks", Role.ADMIN),
    ("console:tokens", "API tokens", Role.ADMIN),
    ("console:imports", "Import", Role.ADMIN),
    ("console:audit", "Audit log", Role.ADMIN),
]


def console(request: HttpRequest) -> dict[str, object]:
    if not request.path.startswith("/staff/") or not request.user.is_authenticated:
        return {}
    # One query for the role, not one per menu entry (as has_role would make).
    role = role_of(request.user)
    links = []
    for name, label, needed in NAVIGATION:
        if name == "console:outbox" and not settings.EMBEDDED_SMTP:
            continue
        if role is not None and role in (needed, Role.ADMIN):
            url = reverse(name)
            current = (
                request.path == url if name == "console:dashboard" else request.path.startswith(url)
            )
            links.append({"url": url, "label": label, "current": current})
    now = timezone.now()
    return {
        "console_nav": links,
        "console_role": role.value if role else "",
        "site_zone_now": f"now {timefmt.clock(now)}, {timefmt.site_zone().key}",
    }
