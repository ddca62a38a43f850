"""Getting into the console: password then TOTP, lockouts, sessions, and the admin behind it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.models import AuditEntry
from tests.console.conftest import PASSWORD, current_code, make_staff

pytestmark = pytest.mark.django_db


def test_password_then_code_reaches_the_dashboard(client, editor):
    response = client.post(
        reverse("console:login"), {"username": "erika", "password": PASSWORD, "next": "/staff/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:verify"))
    # Password alone is not enough.
    assert client.get("/staff/")["Location"].startswith(reverse("console:verify"))
    response = client.post(
        reverse("console:verify"), {"token": current_code(editor), "next": "/staff/"}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert b"Active incidents" in page.content
    assert AuditEntry.objects.filter(action="staff.login", actor=editor).exists()


def test_a_wrong_code_is_refused_with_a_clear_message(client, editor):
    client.post(reverse("console:login"), {"username": "erika", "password": PASSWORD})
    response = client.post(reverse("console:verify"), {"token": "000000"})
    assert response.status_code == 200
    assert b"did not match" in response.content or b"Too many wrong codes" in response.content
    assert client.get("/staff/").status_code == 302
    response = client.post(reverse("console:verify"), {"token": "12ab"})
    assert b"Enter the six digits" in response.content


def test_first_login_sets_up_the_authenticator(client, db):
    user = make_staff("newbie", None, device=False)
    from console.roles import Role, assign_role
    from console.twofactor import reset_device

    assign_role(user, Role.EDITOR)
    reset_device(user)
    client.post(reverse("console:login"), {"username": "newbie", "password": PASSWORD})
    page = client.get(reverse("console:verify"))
    assert b"Set up your authenticator" in page.content
    assert b"<svg" in page.content  # the QR code, drawn here, not fetched
    response = client.post(reverse("console:verify"), {"token": current_code(user)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    # Once confirmed, the key is never shown again.
    client.post(reverse("console:logout"))
    client.post(reverse("console:login"), {"username": "newbie", "password": PASSWORD})
    assert b"Set up your authenticator" not in client.get(reverse("console:verify")).content


def test_an_account_without_any_device_cannot_get_in(client, db):
    make_staff("nodevice", None, device=False)
    client.post(reverse("console:login"), {"username": "nodevice", "password": PASSWORD})
    response = client.get(reverse("console:verify"))
    assert response.status_code == 403
    assert b"no second factor" in response.content


def test_repeated_wrong_passwords_lock_the_login(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("console:login"), {"username": "erika", "password": "nope"})
        assert response.status_code in (200, 429)
    response = client.post(reverse("console:login"), {"username": "erika", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    # Another user from the same address is not locked out by erika's failures.
    make_staff("other", None)
    response = client.post(reverse("console:login"), {"username": "other", "password": PASSWORD})
    assert response.status_code == 302


def test_behind_the_proxy_an_attackers_failures_do_not_lock_the_real_staff_out(
    client, editor, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    attacker = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    staff = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    login = reverse("console:login")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(login, {"username": "erika", "password": "nope"}, **attacker)
    response = client.post(login, {"username": "erika", "password": PASSWORD}, **attacker)
    assert response.status_code == 429
    response = client.post(login, {"username": "erika", "password": PASSWORD}, **staff)
    assert response.status_code == 302
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


def test_the_next_parameter_cannot_send_staff_elsewhere(client, editor):
    client.post(reverse("console:login"), {"username": "erika", "password": PASSWORD})
    response = client.post(
        reverse("console:verify"), {"token": current_code(editor), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/staff/"


def test_logout_needs_a_post_and_ends_the_session(signed_in, editor):
    client = signed_in(editor)
    assert client.get(reverse("console:logout")).status_code == 405
    client.post(reverse("console:logout"))
    assert client.get("/staff/").status_code == 302


def test_the_admin_asks_for_the_same_second_factor(client, admin_user):
    client.force_login(admin_user)  # a password session without the code
    response = client.get("/admin/", follow=True)
    assert [url for url, _ in response.redirect_chain][-1].startswith(reverse("console:verify"))
    assert b"Two-factor code" in response.content


def test_verified_admins_reach_the_django_admin(admin_client):
    assert admin_client.get("/admin/").status_code == 200


def test_sessions_expire(settings):
    assert 300 <= settings.SESSION_COOKIE_AGE <= 24 * 3600
