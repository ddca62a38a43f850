from django.urls import include, path

from staffapi.openapi import openapi_view
from staffapi.operations import OPERATIONS
from staffapi.router import urlpatterns_for

urlpatterns = [
    path("api/staff/v1/openapi.json", openapi_view, name="api_staff_openapi"),
    path("api/staff/v1/", include(urlpatterns_for(OPERATIONS))),
]
