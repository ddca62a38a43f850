from django.urls import include, path

from incidents.api import public
from incidents.api.openapi import openapi_view
from incidents.api.router import urlpatterns_for
from incidents.api.staff import OPERATIONS

urlpatterns = [
    path("api/v2/", include(public.urlpatterns)),
    path("api/staff/v1/openapi.json", openapi_view, name="api_staff_openapi"),
    path("api/staff/v1/", include(urlpatterns_for(OPERATIONS))),
]
