"""A flood on the login page from one address gets cheap 429s; readers and verified staff don't."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from console.roles import Role
from incidents.models import ApiToken, Scope
from statuspage.staff_door import StaffDoor
from tests.console.conftest import make_staff
from tests.factories import verify_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def door_of_three(settings):
    settings.STAFF_DOOR_PER_MINUTE = 3


def test_the_fourth_anonymous_request_in_a_minute_is_refused_at_once(door_of_three):
    client = Client()
    answers = [client.get("/staff/login/") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused["Retry-After"] == "60"
    assert "Too many requests to the staff pages from your address" in refused.content.decode()


def test_another_address_and_the_public_pages_are_not_counted(door_of_three):
    flood = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(4):
        flood.get("/staff/login/")

    assert flood.get("/staff/login/").status_code == 429
    assert flood.get("/").status_code == 200  # readers are readers, whoever they are
    assert Client(REMOTE_ADDR="198.51.100.7").get("/staff/login/").status_code == 200


def test_the_staff_api_answers_json_and_a_valid_token_is_never_counted(door_of_three):
    _token, secret = ApiToken.issue("Nagios", list(Scope.values))
    client = Client()
    bad = {"HTTP_AUTHORIZATION": "Bearer sp_000000000000_made-up"}
    for _ in range(3):
        client.get("/api/staff/v1/components", **bad)

    refused = client.get("/api/staff/v1/components", **bad)
    good = [
        client.get("/api/staff/v1/components", HTTP_AUTHORIZATION=f"Bearer {secret}")
        for _ in range(5)
    ]

    assert refused.status_code == 429
    assert json.loads(refused.content)["error"] == "too_many_requests"
    assert [a.status_code for a in good] == [200] * 5


def test_signed_in_staff_are_never_counted(door_of_three):
    client = Client()
    verify_client(client, make_staff("erika", Role.EDITOR))

    answers = [client.get("/staff/").status_code for _ in range(6)]

    assert answers == [200] * 6


def test_a_staff_member_typing_their_code_is_not_counted(door_of_three):
    """A team signing in from one office: the password step is counted, the code step not."""
    user = make_staff("erika", Role.EDITOR)
    client = Client()
    client.force_login(user)  # past the password step, as the console's login leaves them
    at_the_code_step = [client.get("/staff/verify/").status_code for _ in range(5)]

    assert at_the_code_step == [200] * 5
    assert Client().get("/staff/login/").status_code == 200  # the door is still open


def test_a_signed_in_account_without_a_staff_role_is_counted(door_of_three):
    client = Client()
    client.force_login(make_staff("former", None))
    answers = [client.get("/staff/verify/").status_code for _ in range(4)]

    assert answers[-1] == 429


def test_the_minute_slides():
    now = [1000.0]
    door = StaffDoor(2, clock=lambda: now[0])

    assert door.wait_for("a") == door.wait_for("a") == 0
    assert door.wait_for("a") == 60
    now[0] += 30
    assert door.wait_for("a") == 30
    now[0] += 30
    assert door.wait_for("a") == 0  # the first two left the window


def test_no_limit_when_set_to_zero():
    door = StaffDoor(0)

    assert all(door.wait_for("a") == 0 for _ in range(100))
