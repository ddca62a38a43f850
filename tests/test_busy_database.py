"""A locked or unreachable database answers 503 with Retry-After on HTML pages too.

Under /api/ it is JSON (tests/api/test_errors_in_json.py); elsewhere a short page that
needs no database, and for a form sent by staff, a plain word that nothing was saved.
Any other exception is still a 500.
"""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

import actions
from console.roles import Role
from incidents import pages
from incidents.models import Impact, Incident
from statuspage import errors
from tests.console.conftest import make_staff
from tests.factories import make_component, verify_client

pytestmark = pytest.mark.django_db


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


@pytest.fixture
def reader() -> Client:
    return Client(raise_request_exception=False)


def test_a_locked_database_on_a_public_page_is_a_503_with_retry_after(reader, monkeypatch, caplog):
    monkeypatch.setattr(pages, "status_page", locked)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = reader.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "The site is busy; try again in a few seconds." in response.content.decode()
    assert any(
        r.status_code == 503 and "database is locked" in r.getMessage()
        for r in caplog.records
        if hasattr(r, "status_code")
    )


def test_a_lost_connection_is_a_503_too(reader, monkeypatch):
    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pages, "status_page", gone)
    response = reader.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_a_locked_database_on_a_console_form_says_nothing_was_saved(monkeypatch):
    component = make_component("IMAP")
    client = Client(raise_request_exception=False)
    verify_client(client, make_staff("erika", Role.EDITOR))
    # The form opens incidents through open_incident_from_alert (linking an alert, if any).
    monkeypatch.setattr(actions.probes, "open_incident", locked)

    response = client.post(
        reverse("console:incident_new"),
        {
            "title": "Logins fail",
            "impact": Impact.MAJOR,
            "status": "investigating",
            f"component_{component.pk}": "major_outage",
            "body": "Looking into it.",
            "channels": [],
        },
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert "send it again in a few seconds" in text
    assert not Incident.objects.exists()


def test_any_other_exception_on_a_page_is_still_a_500(reader, monkeypatch):
    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pages, "status_page", bug)
    response = reader.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "busy" not in response.content.decode()


def test_a_locked_database_outside_a_view_is_a_503_too(rf):
    """Raised in a middleware (saving a session), it reaches Django's 500 handler."""
    try:
        raise OperationalError("database is locked")
    except OperationalError:
        response = errors.server_error(rf.post("/staff/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Nothing was saved" in response.content.decode()
