"""The staff API's OpenAPI document is valid, and the API keeps every promise it makes.

schemathesis generates requests from the document and sends them through the
WSGI application in this process (inside the test's transaction); each
response must be no server error and match the document. Bounded so this
file takes well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from incidents.models import ApiToken, Scope
from tests.factories import make_component, open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db]

OPENAPI = "/api/staff/v1/openapi.json"


def test_the_document_is_served_and_valid_openapi(client):
    response = client.get(OPENAPI)

    assert response.status_code == 200
    document = json.loads(response.content)
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Runbox Status staff API"


def test_the_document_lists_every_operation_with_its_scope_and_errors(client):
    document = json.loads(client.get(OPENAPI).content)
    operations = {
        (method.upper(), path): spec
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    }

    assert set(operations) == {
        ("GET", "/token"),
        ("POST", "/incidents"),
        ("GET", "/incidents/{incident_id}"),
        ("POST", "/incidents/{incident_id}/updates"),
        ("POST", "/incidents/{incident_id}/resolve"),
        ("GET", "/components"),
        ("PATCH", "/components/{component_id}"),
        ("POST", "/scheduled-maintenances"),
        ("GET", "/scheduled-maintenances/{maintenance_id}"),
        ("POST", "/scheduled-maintenances/{maintenance_id}/start"),
        ("POST", "/scheduled-maintenances/{maintenance_id}/updates"),
        ("POST", "/scheduled-maintenances/{maintenance_id}/verify"),
        ("POST", "/scheduled-maintenances/{maintenance_id}/complete"),
        ("POST", "/scheduled-maintenances/{maintenance_id}/postpone"),
        ("POST", "/scheduled-maintenances/{maintenance_id}/reschedule"),
        ("POST", "/scheduled-maintenances/{maintenance_id}/cancel"),
    }
    create = operations[("POST", "/incidents")]
    assert "Scope: `incidents`" in create["description"]
    assert set(create["responses"]) == {"201", "400", "401", "403"}
    body = document["components"]["schemas"]["NewIncident"]
    assert body["required"] == ["name", "body"]
    assert body["additionalProperties"] is False


@pytest.fixture
def in_process_wsgi() -> Iterator[None]:
    """Keep the test's database connection across WSGI requests, as django.test.Client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def existing(db) -> dict[str, str]:
    """Ids that exist, so generated calls reach the actions and not only 404s."""
    imap = make_component("IMAP")
    incident = open_incident(components={imap: "partial_outage"})
    maintenance = schedule_maintenance(
        start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30), components=[imap]
    )
    return {
        "incident_id": f"i{incident.pk}",
        "maintenance_id": f"m{maintenance.pk}",
        "component_id": f"c{imap.pk}",
    }


@pytest.fixture
def authorization(db) -> dict[str, str]:
    _, secret = ApiToken.issue("schemathesis", list(Scope.values))
    return {"Authorization": f"Bearer {secret}"}


# Loaded from the served document at import (the view needs no database). Not through
# schemathesis.pytest.from_fixture: its lazy loader does not run under pytest 9.
# A key of its own, as every test has (tests/conftest.py): werkzeug's in-process requests carry
# no client address, which the built-in key's loopback-only guard refuses.
with override_settings(SECRET_KEY="a test key, not the built-in one, long enough for Django"):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_call_as_documented(
    case, existing, authorization, in_process_wsgi
):
    meta = case.meta
    negative_path = meta is not None and meta.is_negative_at(ParameterLocation.PATH)
    negative_header = meta is not None and meta.is_negative_at(ParameterLocation.HEADER)
    if not negative_path:
        # Half the well-formed ids are swapped for real ones (by the parity of the last digit).
        for name, value in (case.path_parameters or {}).items():
            if name in existing and int(value[-1]) % 2 == 0:
                case.path_parameters[name] = existing[name]
    # A deliberately broken Authorization header stays broken; every other call is signed.
    headers = {} if negative_header else authorization
    # A schema cannot say "the window ends after it starts" or "this incident is already
    # resolved", so a well-formed request may still get 400 or 409; every other check runs.
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
