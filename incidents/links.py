"""Links to the site from outside it (mails, feeds, the API, webhooks): SITE_URL and a path."""

from __future__ import annotations

from django.conf import settings


def absolute(path: str) -> str:
    """'/incidents/5/' -> 'https://status.example.com/incidents/5/'."""
    return f"{settings.SITE_URL}{path}"
