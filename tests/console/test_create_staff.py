"""`manage.py create_staff`: an account with a role and a second factor to set up at first login."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.roles import Role, role_of

pytestmark = pytest.mark.django_db


def test_creates_an_editor_with_an_unconfirmed_device(monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a long and unusual passphrase 7")
    out = io.StringIO()
    call_command("create_staff", "erika", "--password-from-env", "NEW_PASSWORD", stdout=out)
    user = get_user_model().objects.get(username="erika")
    assert role_of(user) == Role.EDITOR and not user.is_staff
    assert user.check_password("a long and unusual passphrase 7")
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert "Key: " in out.getvalue()


def test_an_admin_may_use_the_django_admin(monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a long and unusual passphrase 7")
    call_command(
        "create_staff", "adam", "--role", "admin", "--password-from-env", "NEW_PASSWORD",
        stdout=io.StringIO(),
    )  # fmt: skip
    user = get_user_model().objects.get(username="adam")
    assert role_of(user) == Role.ADMIN and user.is_staff


def test_a_weak_password_is_refused_and_nothing_is_created(monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "password")
    with pytest.raises(CommandError, match="too common"):
        call_command("create_staff", "erika", "--password-from-env", "NEW_PASSWORD")
    assert not get_user_model().objects.exists()


def test_reset_2fa_replaces_the_device(editor):
    old = TOTPDevice.objects.get(user=editor)
    call_command("create_staff", "erika", "--reset-2fa", stdout=io.StringIO())
    new = TOTPDevice.objects.get(user=editor)
    assert new.pk != old.pk and not new.confirmed


def test_unknown_and_duplicate_users_get_clear_errors(editor):
    with pytest.raises(CommandError, match="No user called"):
        call_command("create_staff", "nobody", "--reset-2fa")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_staff", "erika")
