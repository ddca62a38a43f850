from django.urls import include, path

from incidents.api import public

urlpatterns = [
    path("api/v2/", include(public.urlpatterns)),
]
