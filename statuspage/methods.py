"""405 Method Not Allowed, with an Allow header, before CSRF can answer 403.

CsrfViewMiddleware checks every unsafe method (POST, PUT, PROPFIND, ...) before the view runs,
so a PUT on a read-only page was refused as a forged form (403) rather than as a method the
page does not have (405). This middleware, listed before it, answers 405 itself whenever it
can tell the view's methods: a view marked with `allow_methods`, a class-based view, or one
whose outermost decorator is Django's require_http_methods (require_safe, require_POST, ...).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from statuspage.errors import is_api, json_error

ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])


def allow_methods(methods: Iterable[str]) -> Callable[[ViewFunction], ViewFunction]:
    """Declare the methods a view answers (it must refuse the others itself)."""

    def mark(view: ViewFunction) -> ViewFunction:
        # An attribute on a function, which no type declares; read by the method gate.
        view.allowed_methods = tuple(m.upper() for m in methods)  # type: ignore[attr-defined]
        return view

    return mark


@lru_cache(maxsize=1024)
def allowed_methods(view: Callable[..., Any]) -> tuple[str, ...] | None:
    """The methods `view` answers, or None when that cannot be told from outside."""
    declared = getattr(view, "allowed_methods", None)
    if declared is not None:
        return tuple(declared)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        methods = [m for m in view_class.http_method_names if hasattr(view_class, m)]
        if "get" in methods and "head" not in methods:
            methods.append("head")  # View.setup answers HEAD with get
        return tuple(m.upper() for m in methods)
    try:
        # Only the outermost function: a wrapper around require_http_methods may answer more.
        closure = inspect.getclosurevars(view).nonlocals
    except (TypeError, ValueError):
        return None
    listed = closure.get("request_method_list")
    return tuple(listed) if isinstance(listed, list | tuple) else None


def method_not_allowed(request: HttpRequest, allowed: tuple[str, ...]) -> HttpResponse:
    if is_api(request):
        response = json_error(405, "method_not_allowed", f"Use {', '.join(allowed)}.")
        response["Allow"] = ", ".join(allowed)
        return response
    return HttpResponseNotAllowed(allowed)


class MethodNotAllowedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        allowed = allowed_methods(view)
        if allowed is None or request.method in allowed:
            return None
        return method_not_allowed(request, allowed)
