from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from incidents.models import ApiToken, Scope

STAFF = "/api/staff/v1"


@dataclass
class StaffApi:
    """A client that calls the staff API with one token."""

    client: Client
    token: str

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token if token is None else token}"}
        data = "" if body is None else json.dumps(body)
        response = self.client.generic(
            method, STAFF + path, data, content_type="application/json", **headers
        )
        response.data = json.loads(response.content) if response.content else None
        return response


@pytest.fixture
def author(db):
    return get_user_model().objects.create_user("ops", "ops@runbox.example")


@pytest.fixture
def api(client, author) -> StaffApi:
    """Every scope, issued by the user `author`."""
    _, secret = ApiToken.issue("Monitoring", list(Scope.values), created_by=author)
    return StaffApi(client, secret)
