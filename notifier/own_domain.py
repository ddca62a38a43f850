"""Our own mail domains: an address there may not get mail in the outage a notice is about."""

from __future__ import annotations

from django.conf import settings


def own_domain_of(email: str) -> str:
    """The domain of OWN_MAIL_DOMAINS the address is at (or under); empty when none."""
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return ""
    for own in settings.OWN_MAIL_DOMAINS:
        if domain == own or domain.endswith(f".{own}"):
            return own
    return ""
