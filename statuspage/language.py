"""The reader's language: the path's prefix (`/nb/`), else the site's default language.

Nothing else decides it: no cookie, no session and no Accept-Language, so a page's address
alone says its language and every page stays cacheable and mirrorable as plain files. Django's
LocaleMiddleware would add `Vary: Accept-Language` to every unprefixed page, which is untrue
here. `/` does not follow Accept-Language either: a redirect by header is something a static
mirror cannot express, and a reader reaches the other language in one click on every page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageFromPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = translation.get_language_from_path(request.path_info)
        language = language or settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # Only for this request: what the thread does next (a task run eagerly, the next
        # request) starts from the site's language, not this reader's.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
