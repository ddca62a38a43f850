"""The Django admin: an admin made with create_staff uses what the README promises there; an
editor is refused (not sent round the login page)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from console.roles import Role, grant_role_permissions
from incidents.models import ApiToken
from notifier.models import Notice, WebhookEndpoint
from tests.factories import open_incident, verify_client

pytestmark = pytest.mark.django_db

PROMISED_PAGES = [
    "admin:index",
    "admin:notifier_webhookendpoint_changelist",
    "admin:notifier_webhookendpoint_add",
    "admin:incidents_apitoken_changelist",
    "admin:incidents_apitoken_add",
    "admin:notifier_notice_changelist",
    "admin:mirror_mirrortarget_changelist",
]


def created_with_the_command(username: str, role: Role, monkeypatch) -> Client:
    monkeypatch.setenv("NEW_PASSWORD", "a long and unusual passphrase 7")
    call_command(
        "create_staff", username, "--role", role.value, "--password-from-env", "NEW_PASSWORD",
        stdout=io.StringIO(),
    )  # fmt: skip
    client = Client()
    verify_client(client, get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def rows(db) -> dict[str, int]:
    open_incident("IMAP logins fail")
    notice = Notice.objects.order_by("id").first() or Notice.objects.create(kind="incident.opened")
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/status")
    token, _ = ApiToken.issue("Nagios", ["read"])
    return {"notice": notice.pk, "endpoint": endpoint.pk, "token": token.pk}


def test_an_admin_made_with_create_staff_opens_every_promised_admin_page(monkeypatch, rows):
    client = created_with_the_command("adam", Role.ADMIN, monkeypatch)
    for name in PROMISED_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    for name, pk in [
        ("admin:notifier_webhookendpoint_change", rows["endpoint"]),
        ("admin:notifier_webhookendpoint_delete", rows["endpoint"]),
        ("admin:incidents_apitoken_change", rows["token"]),
        ("admin:incidents_apitoken_delete", rows["token"]),
        ("admin:notifier_notice_change", rows["notice"]),
    ]:
        assert client.get(reverse(name, args=[pk])).status_code == 200, name


def test_an_admin_registers_a_webhook_in_the_admin(monkeypatch, db):
    client = created_with_the_command("adam", Role.ADMIN, monkeypatch)
    response = client.post(
        reverse("admin:notifier_webhookendpoint_add"),
        {"url": "https://hooks.example.com/status", "owner": "staff", "contact_email": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == "https://hooks.example.com/status"
    shown_once = client.get(response["Location"]).content.decode()
    assert endpoint.secret in shown_once
    again = client.get(reverse("admin:notifier_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in again.content.decode()


def test_the_admin_refuses_a_subscriber_endpoint_at_a_private_address_and_says_why(monkeypatch, db):
    client = created_with_the_command("adam", Role.ADMIN, monkeypatch)
    add = reverse("admin:notifier_webhookendpoint_add")

    private = client.post(add, {"url": "https://10.1.2.3/in", "owner": "subscriber"})
    plain = client.post(add, {"url": "http://hooks.example.com/in", "owner": "subscriber"})
    staffs = client.post(add, {"url": "http://10.1.2.3/in", "owner": "staff"})

    assert "10.1.2.3 is a private address; give a public address." in private.content.decode()
    assert "The address must start with https://." in plain.content.decode()
    assert staffs.status_code == 302  # staff may post inside
    assert list(WebhookEndpoint.objects.values_list("owner", flat=True)) == ["staff"]


def test_an_editor_made_with_create_staff_is_refused_the_admin(monkeypatch, rows):
    client = created_with_the_command("erika", Role.EDITOR, monkeypatch)
    for name in PROMISED_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 403, (name, response.status_code)
        assert "needs the admin role" in response.content.decode()


def test_the_grant_is_idempotent_and_gives_editors_nothing(db):
    grant_role_permissions()
    grant_role_permissions()
    from django.contrib.auth.models import Group

    admins = Group.objects.get(name=Role.ADMIN.group_name)
    editors = Group.objects.get(name=Role.EDITOR.group_name)
    codenames = set(admins.permissions.values_list("codename", flat=True))
    assert {"add_webhookendpoint", "delete_apitoken", "change_notice"} <= codenames
    assert "view_mirrortarget" in codenames and "view_delivery" in codenames
    assert not editors.permissions.exists()
