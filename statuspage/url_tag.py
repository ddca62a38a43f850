"""`{% url %}` with its answers remembered: the same tag, the same addresses, reversed once.

A public page names a dozen addresses (the header's, the feeds', its components'), and the
mirror renders thousands of pages one after another: reversing costs Django a walk over its
patterns each time, about a tenth of an incident page's render. An address depends only on
the URLconf, the script prefix, the language (the `/nb/` prefix), the name and its
arguments, so those are the key. Arguments other than plain numbers and strings (a model
instance, a lazy string) are reversed each time, as by Django's own tag.

Installed as a template builtin (settings.TEMPLATES), so templates keep writing `{% url %}`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.template import Context, Library, Node
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url_tag
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = Library()

# Room for every address a build of both languages names (about 7,000), a few times over.
CACHED_ADDRESSES = 16384
_PLAIN = (int, str)


def reversed_url(
    view_name: str,
    args: list[Any] | tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """django.urls.reverse(view_name, args, kwargs, current_app), remembered per process.

    The resolver object is part of the key: clearing the URL caches (a test overriding
    ROOT_URLCONF) makes a new one, and so new answers.
    """
    kwargs = kwargs or {}
    values = [*args, *kwargs.values()]
    if not all(type(value) in _PLAIN for value in values):
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


class RememberedURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {name: value.resolve(context) for name, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        request: Any = getattr(context, "request", None)  # a RequestContext's
        if hasattr(request, "current_app"):  # the admin's views set it
            current_app = request.current_app
        else:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = ""
        try:
            if isinstance(view_name, str):
                url = reversed_url(view_name, args, kwargs, current_app)
            else:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag("url")
def url(parser: Parser, token: Token) -> Node:
    """Django's `{% url %}`, parsed by Django, rendered through reversed_url."""
    node = django_url_tag(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
