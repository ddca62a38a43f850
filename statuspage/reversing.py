"""django.urls.reverse, its answers remembered per process.

A public page names a dozen addresses (the header's, the feeds', its components', its
posts'), and the mirror renders thousands of pages one after another: reversing costs Django
a walk over its patterns each time, about a tenth of an incident page's render. An address
depends only on the URLconf, the script prefix, the language (the `/nb/` prefix), the name
and its arguments, so those are the key. Arguments other than plain numbers and strings (a
model instance, a lazy string) are reversed each time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# Room for every address a build of both languages names (about 7,000), a few times over.
CACHED_ADDRESSES = 16384
_PLAIN = (int, str)


def reversed_url(
    view_name: str | Callable[..., Any],
    args: list[Any] | tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """django.urls.reverse(view_name, args, kwargs, current_app), remembered per process.

    The resolver object is part of the key: clearing the URL caches (a test overriding
    ROOT_URLCONF) makes a new one, and so new answers. A view given as a callable rather than
    by name is reversed each time, like arguments that are not plain.
    """
    kwargs = kwargs or {}
    values = [*args, *kwargs.values()]
    if not isinstance(view_name, str) or not all(type(value) in _PLAIN for value in values):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    resolver = get_resolver(get_urlconf())
    return _reversed(
        (resolver, get_script_prefix(), get_language(), current_app),
        view_name,
        tuple(args),
        tuple(sorted(kwargs.items())),
    )


@lru_cache(maxsize=CACHED_ADDRESSES)
def _reversed(
    where: tuple[Any, str, str | None, str | None],
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
) -> str:
    current_app = where[-1]  # the rest is read by reverse() itself, in this same thread
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
