"""The staff API refuses control characters, naming the field and the character."""

from __future__ import annotations

import pytest

from incidents.models import Incident, IncidentUpdate
from tests.api.conftest import StaffApi

pytestmark = [pytest.mark.django_db]

COLOURED_LOG = "log \x1b[31mERROR\x1b[0m"


def test_the_api_refuses_an_escape_naming_the_field_and_the_character(api: StaffApi):
    response = api.call("POST", "/incidents", {"name": "x", "body": COLOURED_LOG})

    assert response.status_code == 400
    assert "U+001B ESC" in str(response.data)
    assert "body" in str(response.data)
    assert not Incident.objects.exists()


def test_the_api_refuses_one_in_a_title_too(api: StaffApi):
    response = api.call("POST", "/incidents", {"name": "Slow\x07", "body": "Looking."})

    assert response.status_code == 400
    assert "U+0007 BEL" in str(response.data)


def test_the_api_stores_windows_line_ends_as_newlines(api: StaffApi):
    response = api.call("POST", "/incidents", {"name": "Slow", "body": "One.\r\n\r\nTwo.\rThree"})

    assert response.status_code == 201
    assert IncidentUpdate.objects.get().body == "One.\n\nTwo.\nThree"
