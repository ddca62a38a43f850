from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, include, path, reverse

from console.roles import Role, role_of, second_factor_verified
from importers import redirects as wordpress_redirects

admin.site.site_header = "Status page administration"


def _verified_staff(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and second_factor_verified(user)


def _signed_in_without_admin(request: HttpRequest) -> HttpResponse | None:
    """The console's "not allowed" page for a verified user who is no admin, else None.

    Sent to the login page instead, they would be sent straight back here, round and round.
    """
    user = request.user
    if not (user.is_authenticated and second_factor_verified(user)) or _verified_staff(request):
        return None
    role = role_of(user)
    context = {"needed": Role.ADMIN, "console_role": role.value if role else ""}
    return render(request, "console/forbidden.html", context, status=403)


def _console_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    refused = _signed_in_without_admin(request)
    if refused is not None:
        return refused
    return redirect_to_login(request.get_full_path(), reverse("console:login"))


_admin_view = admin.site.admin_view


def _refusing_admin_view(view: Callable[..., HttpResponse], cacheable: bool = False) -> Any:
    guarded = _admin_view(view, cacheable)

    @wraps(guarded)
    def refusing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _signed_in_without_admin(request) or guarded(request, *args, **kwargs)

    return refusing


# The admin asks for the same password and second factor as the console, through its login.
# Replacing the default site's methods keeps admin.site (which apps register on) as it is.
admin.site.has_permission = _verified_staff  # type: ignore[method-assign]
admin.site.login = _console_login  # type: ignore[method-assign]
admin.site.admin_view = _refusing_admin_view  # type: ignore[method-assign, assignment]

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("staff/", include("console.urls")),
    path("", include("staffapi.urls")),
]
# The readers' pages, feeds and API: the default language at `/`, the other under its prefix.
urlpatterns += i18n_patterns(
    # `/?p=ID` (a WordPress link) is redirected; anything else at `/` is the status page.
    path("", wordpress_redirects.front_door, name="status_page"),
    path("", include("incidents.urls")),
    path("", include("notifier.urls")),
    prefix_default_language=False,
)
urlpatterns += [
    # Old WordPress permalinks, after every route of ours so none is shadowed.
    path(
        "<int:year>/<int:month>/<int:day>/<str:slug>/",
        wordpress_redirects.permalink,
        name="wordpress_permalink",
    ),
]

handler400 = "statuspage.errors.bad_request"
handler403 = "statuspage.errors.forbidden"
handler404 = "statuspage.errors.not_found"
handler500 = "statuspage.errors.server_error"
