"""Who may open a console page: signed in, second factor verified, holding the role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django_htmx.http import HttpResponseClientRedirect

from console.roles import Role, has_role, second_factor_verified

View = Callable[..., HttpResponse]


def _to(request: HttpRequest, name: str) -> HttpResponse:
    url = f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
    # An htmx swap would put the login page inside the dashboard: send the browser instead.
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def staff_view(role: Role = Role.EDITOR) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        @never_cache
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return _to(request, "console:login")
            if not second_factor_verified(user):
                return _to(request, "console:verify")
            if not has_role(user, role):
                return render(request, "console/forbidden.html", {"needed": role}, status=403)
            return view(request, *args, **kwargs)

        # Read by tests/console/test_permissions.py; no type lets a function carry it.
        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded

    return decorate


editor_view = staff_view(Role.EDITOR)
admin_view = staff_view(Role.ADMIN)
