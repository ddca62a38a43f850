"""Creating and revoking tokens: the command prints the secret once, the admin shows it once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from incidents.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db


def test_the_command_prints_a_working_token_once_and_stores_its_hash():
    get_user_model().objects.create_user("ops")
    out, err = StringIO(), StringIO()

    call_command(
        "create_api_token",
        "Nagios",
        "--scope",
        "incidents",
        "--scope",
        "read",
        "--user",
        "ops",
        stdout=out,
        stderr=err,
    )

    secret = out.getvalue().strip()
    token = ApiToken.authenticate(secret)
    assert token is not None
    assert token.name == "Nagios"
    assert token.scopes == ["incidents", "read"]
    assert token.created_by.username == "ops"
    assert "cannot be shown again" in err.getvalue()
    assert secret not in err.getvalue()
    entry = AuditEntry.objects.get(action="api_token.created")
    assert entry.actor_name == "manage.py create_api_token"
    assert "token_hash" not in entry.after and entry.after["name"] == "Nagios"


def test_the_command_refuses_an_unknown_user_or_scope():
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("create_api_token", "Nagios", "--scope", "read", "--user", "nobody")
    with pytest.raises(CommandError):
        call_command("create_api_token", "Nagios", "--scope", "admin")
    assert not ApiToken.objects.exists()


def test_the_admin_issues_a_token_shows_it_once_and_revokes_it(admin_client):
    response = admin_client.post(
        "/admin/incidents/apitoken/add/",
        {"name": "Zabbix", "scopes": ["components", "read"]},
        follow=True,
    )

    (message,) = [str(m) for m in response.context["messages"] if "shown again" in str(m)]
    secret = message.rsplit(" ", 1)[-1]
    token = ApiToken.authenticate(secret)
    assert token is not None and token.scopes == ["components", "read"]
    assert token.created_by.username == "admin"
    listing = admin_client.get("/admin/incidents/apitoken/").content.decode()
    assert f"sp_{token.prefix}_…" in listing
    assert secret not in listing

    admin_client.post(
        "/admin/incidents/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert ApiToken.authenticate(secret) is None
