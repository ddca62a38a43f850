"""The console refuses control characters in what staff type, and reads CRLF as newlines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from console.forms.incidents import OpenIncidentForm
from console.forms.posts import PostForm
from incidents.models import Incident
from tests.factories import make_component

pytestmark = [pytest.mark.django_db]

COLOURED_LOG = "log \x1b[31mERROR\x1b[0m"


def test_the_console_form_refuses_an_escape_in_the_message():
    make_component("IMAP")
    form = OpenIncidentForm(
        {"title": "Slow", "impact": "minor", "status": "investigating", "body": COLOURED_LOG}
    )

    assert not form.is_valid()
    assert "U+001B ESC" in form.errors["body"][0]
    assert "title" not in form.errors


def test_the_console_form_reads_a_browsers_crlf_as_newlines():
    form = PostForm({"title": "News", "body": "One.\r\n\r\nTwo.", "tags": ""})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "One.\n\nTwo."


def test_opening_an_incident_in_the_console_with_an_escape_says_why(signed_in, editor):
    client = signed_in(editor)
    response = client.post(
        reverse("console:incident_new"),
        {"title": "Slow", "impact": "minor", "status": "investigating", "body": COLOURED_LOG},
    )

    assert response.status_code == 200
    assert "U+001B ESC at character 5" in response.content.decode()
    assert not Incident.objects.exists()
