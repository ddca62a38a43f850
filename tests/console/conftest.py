"""Console users: an editor and an admin, each with a confirmed TOTP device."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.roles import Role, assign_role
from tests.factories import verify_client

PASSWORD = "correct horse battery staple 42"


def make_staff(username: str, role: Role | None, *, device: bool = True):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    if role is not None:
        assign_role(user, role)
    if device:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def current_code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def editor(db):
    return make_staff("erika", Role.EDITOR)


@pytest.fixture
def admin_user(db):
    return make_staff("adam", Role.ADMIN)


@pytest.fixture
def signed_in() -> Callable[..., Client]:
    """A client logged in as `user` with the second factor verified."""

    def sign_in(user, **client_kwargs: object) -> Client:
        client = Client(**client_kwargs)
        verify_client(client, user)
        return client

    return sign_in
