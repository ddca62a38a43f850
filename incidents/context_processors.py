from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    current: bool


def language_links(request: HttpRequest) -> list[LanguageLink]:
    """This page in each language, the current one marked; empty where the page has only one."""
    if len(settings.LANGUAGES) < 2:
        return []
    # The path alone: a query string is the page's extras (a tracking tag, a reader's token),
    # which the other language's link need not carry, nor echo.
    here = request.path
    current = get_language()
    links = [
        LanguageLink(
            code, str(name), here if code == current else translate_url(here, code), code == current
        )
        for code, name in settings.LANGUAGES
    ]
    if any(link.url == here for link in links if not link.current):
        return []
    return links


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        # Called by the template only where it shows the switch (a URL resolved per language).
        "language_links": cache(lambda: language_links(request)),
    }
