"""A client error is logged on one line; a server error keeps its traceback."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    SuspiciousFileOperation,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from statuspage import urls as site_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

RAISED = {
    "bad-request": BadRequest("The page number must be a whole number."),
    "forbidden": PermissionDenied("Not for you."),
    "not-found": Http404("There is no such page."),
    "suspicious": SuspiciousOperation("Something odd."),
    "suspicious-file": SuspiciousFileOperation("Detected path traversal attempt"),
    "server": RuntimeError("The code is wrong."),
}


def raising_view(request: HttpRequest, kind: str) -> HttpResponse:
    raise RAISED[kind]


# The site's own patterns at the root, as they are (their i18n_patterns cannot be included).
urlpatterns = [path("raise/<str:kind>/", raising_view), *site_urls.urlpatterns]
handler400 = "statuspage.errors.bad_request"
handler404 = "statuspage.errors.not_found"


def the_console_log(records: list[logging.LogRecord]) -> str:
    """The records as the console handler configured by settings.LOGGING writes them."""
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    return "\n".join(console.format(r) for r in records if r.name.startswith("django."))


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/raise/bad-request/", 400, "The page number must be a whole number."),
        ("/raise/forbidden/", 403, "Forbidden (Permission denied): /raise/forbidden/"),
        ("/raise/not-found/", 404, "Not Found: /raise/not-found/"),
        ("/raise/suspicious/", 400, "Something odd."),
        ("/raise/suspicious-file/", 400, "Detected path traversal attempt"),
        ("/blog/?page=abc", 400, "The page number must be a whole number from 1 to 999999"),
        ("/incidents/999999/", 404, "Not Found: /incidents/999999/"),
    ],
)
def test_a_client_error_is_logged_on_one_line_without_a_traceback(
    client, caplog, url, status, message
):
    with caplog.at_level(logging.INFO):
        response = client.get(url)

    assert response.status_code == status
    logged = the_console_log(caplog.records)
    assert message in logged
    assert "\n" not in logged
    assert "Traceback" not in logged


def test_a_request_for_an_unknown_host_is_logged_on_one_line(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    logged = the_console_log(caplog.records)
    assert "Invalid HTTP_HOST header: 'evil.example'" in logged
    assert "\n" not in logged


def test_a_server_error_keeps_its_traceback(caplog):
    with caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).get("/raise/server/")

    assert response.status_code == 500
    logged = the_console_log(caplog.records)
    assert logged.startswith("Internal Server Error: /raise/server/\nTraceback")
    assert "RuntimeError: The code is wrong." in logged


def test_other_handlers_still_get_the_exception(client, caplog):
    with caplog.at_level(logging.INFO):
        client.get("/raise/forbidden/")

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    the_console_log([record])
    assert record.exc_info is not None  # formatting for the console copied, not stripped
