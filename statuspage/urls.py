from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, reverse

admin.site.site_header = "Status page administration"


def _verified_staff(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_verified()


def _console_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    return redirect_to_login(request.get_full_path(), reverse("console:login"))


# The admin asks for the same password and second factor as the console, through its login.
admin.site.has_permission = _verified_staff
admin.site.login = _console_login

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/", include("console.urls")),
    path("", include("incidents.urls")),
    path("", include("notifier.urls")),
]

handler400 = "statuspage.errors.bad_request"
handler404 = "statuspage.errors.not_found"
