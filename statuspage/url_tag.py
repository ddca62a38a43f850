"""`{% url %}` with its answers remembered (statuspage/reversing.py): Django's tag, parsed by
Django, reversing each address once per process.

Installed as a template builtin (settings.TEMPLATES), so templates keep writing `{% url %}`.
"""

from __future__ import annotations

from typing import Any

from django.template import Context, Library, Node
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url_tag
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from statuspage.reversing import reversed_url

register = Library()


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
            url = reversed_url(view_name, args, kwargs, current_app)
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
