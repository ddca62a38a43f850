"""What a new reader of the public pages misread (issue 12, defect 9), read right."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import actions
from incidents.templatetags.statuspage import duration_text
from tests.factories import open_incident, oslo

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# How long an incident lasted


def test_an_incident_resolved_in_the_minute_it_began_lasted_less_than_a_minute(client):
    blip = open_incident("Blip", at=oslo(2013, 2, 1, 9, 0))
    actions.resolve_incident(blip, body="Gone again.", posted_at=oslo(2013, 2, 1, 9, 0))

    assert "lasted less than a minute" in page(client, "/history/")
    assert "(after less than a minute)" in page(client, f"/incidents/{blip.pk}/")


def test_a_duration_reads_in_words_and_a_negative_one_not_at_all():
    assert duration_text(timedelta(0)) == "less than a minute"
    assert duration_text(timedelta(seconds=59)) == "less than a minute"
    assert duration_text(timedelta(hours=2, minutes=15)) == "2 h 15 min"
    assert duration_text(timedelta(minutes=-5)) == ""
    assert duration_text(None) == ""
