"""Control characters (ESC from a pasted coloured log) are refused wherever text enters, and a
row stored before that rule breaks neither the feeds nor anything else readers fetch."""

from __future__ import annotations

import io
import logging

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from incidents.clean_text import character_name, cleaned, control_character_problem
from incidents.models import ApiToken, Incident, IncidentUpdate, Post
from tests.factories import make_component, open_incident, publish_post

pytestmark = [pytest.mark.django_db]

COLOURED_LOG = "log \x1b[31mERROR\x1b[0m"


@pytest.mark.parametrize(
    ("character", "name"),
    [
        ("\x00", "U+0000 NUL"),
        ("\x1b", "U+001B ESC"),
        ("\x7f", "U+007F DEL"),
        ("\x85", "U+0085 NEL"),
    ],
)
def test_the_problem_names_the_character_and_where_it_is(character, name):
    assert character_name(character) == name
    problem = control_character_problem(f"first line\nsecond {character} line")
    assert problem is not None
    assert f"{name} at line 2, column 8" in problem


def test_tabs_newlines_and_carriage_returns_are_text():
    assert cleaned("a\tb\r\nc\rd\ne") == "a\tb\nc\nd\ne"
    assert control_character_problem("a\tb\nc é ✓ 😀") is None


# The admin and manage.py


def test_the_admin_refuses_an_escape_in_a_post(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    form_class = admin.site._registry[Post].get_form(request)
    form = form_class({"title": "News\x1b", "slug": "news", "body": "Fine."})

    assert not form.is_valid()
    assert "U+001B ESC" in form.errors["title"][0]


def test_create_api_token_refuses_an_escape_in_the_name():
    with pytest.raises(CommandError, match="U\\+001B ESC"):
        call_command(
            "create_api_token",
            "Nagios\x1b",
            "--scope",
            "read",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not ApiToken.objects.exists()


# Rows stored before the rule


@pytest.fixture
def stored_escape():
    """An incident whose title and update carry ESC, written straight through the ORM."""
    incident = open_incident("Webmail is slow")
    Incident.objects.filter(pk=incident.pk).update(title="Webmail \x1b[1mslow")
    IncidentUpdate.objects.filter(incident=incident).update(body=COLOURED_LOG)
    publish_post("New spam filter")
    return incident


@pytest.mark.parametrize("url", ["/feed.atom", "/feed.rss", "/feed.json"])
def test_a_stored_escape_is_left_out_of_the_feeds_and_named_in_a_warning(
    client, stored_escape, caplog, url
):
    with caplog.at_level(logging.WARNING, logger="incidents.feeds"):
        response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert "\x1b" not in body and "\\u001b" not in body
    assert "Webmail [1mslow" in body
    assert "New spam filter" in body  # the other entries are all there
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "U+001B ESC" in w and f"/incidents/{stored_escape.pk}/" in w and "title" in w
        for w in warnings
    ), warnings


def test_a_stored_escape_is_left_out_of_a_components_feed(client, stored_escape):
    component = make_component("IMAP")
    stored_escape.affected.create(component=component, status="major_outage")

    response = client.get(f"/components/{component.pk}/feed.atom")

    assert response.status_code == 200
    assert b"\x1b" not in response.content
