"""Staff accounts in the console: add, role, reset 2FA, deactivate, never the last admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.roles import Role, role_of
from incidents.models import AuditEntry
from tests.console.conftest import PASSWORD, current_code, make_staff

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_list_shows_role_last_login_and_second_factor(signed_in, admin_user, editor):
    pending = make_staff("newbie", Role.EDITOR, device=False)
    TOTPDevice.objects.create(user=pending, name="app", confirmed=False)
    page = signed_in(admin_user).get(reverse("console:users")).content.decode()
    for name in ("adam", "erika", "newbie"):
        assert name in page
    assert "Admin" in page and "Editor" in page
    assert "Set up at next login" in page and "Confirmed" in page
    assert "Never" in page  # newbie has not logged in


def test_add_a_user_with_a_generated_password_who_then_enrols(signed_in, admin_user):
    client = signed_in(admin_user)
    assert client.get(reverse("console:user_new")).status_code == 200
    response = client.post(
        reverse("console:user_new"),
        {
            "username": "olga",
            "email": "olga@example.com",
            "role": "editor",
            "password_mode": "generate",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "shown this once" in html
    password = re.search(r'<code class="secret">([^<]+)</code>', html)[1]
    olga = User.objects.get(username="olga")
    assert olga.check_password(password) and role_of(olga) == Role.EDITOR
    assert not TOTPDevice.objects.get(user=olga).confirmed
    entry = AuditEntry.objects.get(action="staff.created")
    assert entry.actor == admin_user and entry.after["role"] == "editor"
    assert password not in str(entry.after) and "pbkdf2" not in str(entry.after)
    assert password not in client.get(reverse("console:user", args=[olga.pk])).content.decode()

    # Olga signs in with it and sets up her authenticator.
    new = Client()
    new.post(reverse("console:login"), {"username": "olga", "password": password})
    assert b"Set up your authenticator" in new.get(reverse("console:verify")).content
    assert new.post(reverse("console:verify"), {"token": current_code(olga)}).status_code == 302
    assert new.get(reverse("console:posts")).status_code == 200
    assert new.get(reverse("console:users")).status_code == 403


def test_add_a_user_with_a_chosen_password(signed_in, admin_user):
    client = signed_in(admin_user)
    response = client.post(
        reverse("console:user_new"),
        {"username": "piet", "role": "admin", "password_mode": "choose", "password": PASSWORD},
    )
    assert response.status_code == 200
    assert "shown this once" not in response.content.decode()
    piet = User.objects.get(username="piet")
    assert piet.check_password(PASSWORD) and role_of(piet) == Role.ADMIN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "ERIKA"}, "There is already a user called"),
        ({"username": "bad name!"}, "Use only letters, digits"),
        ({"username": ""}, "Give the account a username."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"role": "overlord"}, "Select a valid choice"),
        ({"password_mode": "choose", "password": ""}, "Type the password"),
        ({"password_mode": "choose", "password": "123"}, "This password is too short"),
        ({"password_mode": "choose", "password": "password123"}, "too common"),
    ],
)
def test_bad_input_for_a_new_user_saves_nothing(signed_in, admin_user, editor, data, message):
    client = signed_in(admin_user)
    before = User.objects.count()
    fields = {"username": "olga", "email": "", "role": "editor", "password_mode": "generate"}
    response = client.post(reverse("console:user_new"), {**fields, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == before
    assert not AuditEntry.objects.filter(action="staff.created").exists()


def test_change_role_both_ways(signed_in, admin_user, editor):
    client = signed_in(admin_user)
    url = reverse("console:user_role", args=[editor.pk])
    assert client.post(url, {"role": "admin"}).status_code == 302
    assert role_of(User.objects.get(pk=editor.pk)) == Role.ADMIN
    client.post(url, {"role": "editor"})
    assert role_of(User.objects.get(pk=editor.pk)) == Role.EDITOR
    entries = AuditEntry.objects.filter(action="staff.role").order_by("at", "id")
    assert [(e.before["role"], e.after["role"]) for e in entries] == [
        ("editor", "admin"),
        ("admin", "editor"),
    ]
    client.post(url, {"role": "overlord"})
    assert role_of(User.objects.get(pk=editor.pk)) == Role.EDITOR


def test_the_last_admin_can_neither_demote_nor_deactivate_themselves(signed_in, admin_user):
    client = signed_in(admin_user)
    response = client.post(reverse("console:user_role", args=[admin_user.pk]), {"role": "editor"})
    assert "last active admin" in client.get(response["Location"]).content.decode()
    client.post(reverse("console:user_deactivate", args=[admin_user.pk]))
    admin_user.refresh_from_db()
    assert admin_user.is_active and role_of(admin_user) == Role.ADMIN
    assert not AuditEntry.objects.filter(action__in=["staff.role", "staff.deactivated"]).exists()

    # With a second admin, stepping down is fine.
    make_staff("bea", Role.ADMIN)
    client.post(reverse("console:user_role", args=[admin_user.pk]), {"role": "editor"})
    assert role_of(User.objects.get(pk=admin_user.pk)) == Role.EDITOR


def test_deactivate_keeps_the_account_and_ends_its_sessions(signed_in, admin_user, editor):
    editor_client = signed_in(editor)
    assert editor_client.get(reverse("console:dashboard")).status_code == 200
    client = signed_in(admin_user)
    assert client.post(reverse("console:user_deactivate", args=[editor.pk])).status_code == 302
    editor.refresh_from_db()
    assert not editor.is_active and User.objects.filter(pk=editor.pk).exists()
    assert editor_client.get(reverse("console:dashboard")).status_code == 302
    login = Client().post(reverse("console:login"), {"username": "erika", "password": PASSWORD})
    assert login.status_code == 200  # refused: the form again
    entry = AuditEntry.objects.get(action="staff.deactivated")
    assert entry.before["is_active"] and not entry.after["is_active"]
    assert "deactivated" in client.get(reverse("console:users")).content.decode()

    client.post(reverse("console:user_reactivate", args=[editor.pk]))
    editor.refresh_from_db()
    assert editor.is_active and role_of(editor) == Role.EDITOR


def test_reset_two_factor_makes_a_new_device_to_confirm(signed_in, admin_user, editor):
    old = TOTPDevice.objects.get(user=editor)
    client = signed_in(admin_user)
    client.post(reverse("console:user_reset_2fa", args=[editor.pk]))
    device = TOTPDevice.objects.get(user=editor)
    assert device.pk != old.pk and not device.confirmed
    entry = AuditEntry.objects.get(action="staff.reset_2fa")
    assert (entry.before["two_factor"], entry.after["two_factor"]) == ("confirmed", "pending")
    page = client.get(reverse("console:user", args=[editor.pk])).content.decode()
    assert "Set up at next login" in page


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("console:users", [], "get"),
        ("console:user_new", [], "get"),
        ("console:user", ["editor"], "get"),
        ("console:user_role", ["editor"], "post"),
        ("console:user_reset_2fa", ["editor"], "post"),
        ("console:user_deactivate", ["editor"], "post"),
    ],
)
def test_permissions(client, signed_in, editor, admin_user, name, args, method):
    url = reverse(name, args=[editor.pk for _ in args])
    anonymous = getattr(client, method)(url)
    assert anonymous["Location"].startswith(reverse("console:login"))
    client.force_login(editor)  # password only, no second factor yet
    assert getattr(client, method)(url)["Location"].startswith(reverse("console:verify"))
    assert getattr(signed_in(editor), method)(url).status_code == 403
    editor.refresh_from_db()
    assert editor.is_active and role_of(editor) == Role.EDITOR
    assert TOTPDevice.objects.get(user=editor).confirmed
    if method == "get":
        assert signed_in(admin_user).get(url).status_code == 200


def test_a_superusers_role_is_left_to_the_django_admin(signed_in, admin_user):
    root = User.objects.create_superuser("root", password=PASSWORD)
    client = signed_in(admin_user)
    response = client.post(reverse("console:user_role", args=[root.pk]), {"role": "editor"})
    assert "always an admin" in client.get(response["Location"]).content.decode()
    root.refresh_from_db()
    assert root.is_superuser and role_of(root) == Role.ADMIN
    assert not AuditEntry.objects.filter(action="staff.role").exists()
