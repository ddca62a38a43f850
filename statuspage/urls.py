from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Status page administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("incidents.urls")),
    path("", include("notifier.urls")),
]

handler400 = "statuspage.errors.bad_request"
handler404 = "statuspage.errors.not_found"
