"""Every error under /api/ answers JSON, and a method a page lacks is a 405 (not CSRF's 403)."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client

import actions
from incidents.api import documents
from tests.api.conftest import STAFF

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser() -> Client:
    """Checks CSRF as a real browser's requests are checked (the test client skips it)."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def body(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return json.loads(response.content)


def test_a_locked_database_during_a_staff_api_write_is_a_json_503_with_retry_after(
    api, monkeypatch
):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(actions, "open_incident", locked)
    api.client.raise_request_exception = False
    response = api.client.post(
        f"{STAFF}/incidents",
        json.dumps({"name": "Slow mail", "body": "Looking."}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert body(response)["error"] == "unavailable"


def test_an_unexpected_error_in_the_public_api_is_a_json_500(browser, monkeypatch):
    def broken(changed_at):
        raise RuntimeError("a bug")

    monkeypatch.setattr(documents, "last_change", broken)
    response = browser.get("/api/v2/summary.json")
    assert response.status_code == 500
    assert body(response)["error"] == "server_error"


def test_an_unknown_public_api_address_is_a_json_404(browser):
    response = browser.get("/api/v2/nothing-here.json")
    assert response.status_code == 404
    assert body(response)["error"] == "not_found"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PROPFIND"])
def test_a_write_to_a_public_api_document_is_a_json_405(browser, method):
    response = browser.generic(method, "/api/v2/summary.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert body(response)["error"] == "method_not_allowed"


def test_a_browser_session_posting_to_the_staff_api_without_a_token_gets_json(browser):
    response = browser.post(f"{STAFF}/incidents", "{}", content_type="application/json")
    assert response.status_code == 401
    assert body(response)["error"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PROPFIND", "/"),
        ("PUT", "/"),
        ("POST", "/history/"),
        ("DELETE", "/subscribe/"),
        ("PUT", "/feed.atom"),
        ("POST", "/maintenance.ics"),
    ],
)
def test_a_method_a_public_page_lacks_is_a_405_with_allow_not_a_csrf_403(browser, method, url):
    response = browser.generic(method, url)
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_a_form_post_without_its_csrf_token_is_still_refused(browser):
    assert browser.post("/subscribe/", {"email": "r@example.com"}).status_code == 403


def test_a_feed_still_answers_a_cors_preflight(browser):
    assert browser.options("/feed.atom").status_code == 204
