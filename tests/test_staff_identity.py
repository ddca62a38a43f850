"""Only verified staff skip the public slots: a staff address alone proves nothing.

An anonymous flood on /staff/login/ or on the staff API with made-up tokens
must take public slots like any reader, and never make readers wait.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from console.roles import Role
from incidents.models import ApiToken, Scope
from statuspage.admission import PublicAdmissionMiddleware
from statuspage.staff_identity import Standing, active_tokens, staff_standing
from tests.console.conftest import make_staff
from tests.factories import verify_client

pytestmark = pytest.mark.django_db


def session_cookie(client: Client) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def verified(user) -> str:
    client = Client()
    verify_client(client, user)
    return session_cookie(client)


def is_verified_staff(request) -> bool:
    return staff_standing(request) is Standing.VERIFIED


def get(path: str, cookie: str = "", token: str = ""):
    extra = {"HTTP_COOKIE": cookie} if cookie else {}
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return RequestFactory().get(path, **extra)


@pytest.mark.parametrize("path", ["/staff/", "/staff/incidents/new/", "/admin/"])
def test_a_verified_staff_session_counts(path):
    assert is_verified_staff(get(path, verified(make_staff("erika", Role.EDITOR))))


def test_an_admin_with_is_staff_and_no_group_counts():
    user = make_staff("root", None)
    user.is_staff = True
    user.save()
    assert is_verified_staff(get("/admin/", verified(user)))


@pytest.mark.parametrize("path", ["/staff/login/", "/admin/login/", "/staff/"])
def test_anonymous_and_made_up_sessions_do_not(path):
    assert not is_verified_staff(get(path))
    assert not is_verified_staff(get(path, f"{settings.SESSION_COOKIE_NAME}=made-up-key"))


def test_a_password_without_the_second_factor_does_not():
    user = make_staff("erika", Role.EDITOR)
    client = Client()
    client.force_login(user)  # the password step, as the console's login does it
    assert not is_verified_staff(get("/staff/", session_cookie(client)))
    assert staff_standing(get("/staff/", session_cookie(client))) is Standing.PASSWORD_ONLY
    assert is_verified_staff(get("/staff/", verified(user)))  # the same person, verified


def test_another_users_device_in_the_session_does_not():
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    make_staff("erika", Role.EDITOR)
    mallory = make_staff("mallory", Role.EDITOR, device=False)
    client = Client()
    client.force_login(mallory)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user__username="erika").persistent_id
    session.save()
    assert not is_verified_staff(get("/staff/", session_cookie(client)))


def test_a_deactivated_or_roleless_account_does_not():
    gone = make_staff("gone", Role.EDITOR)
    cookie = verified(gone)
    get_user_model().objects.filter(pk=gone.pk).update(is_active=False)
    assert staff_standing(get("/staff/", cookie)) is Standing.NONE
    assert staff_standing(get("/staff/", verified(make_staff("nobody", None)))) is Standing.NONE


def test_a_changed_password_ends_the_priority_as_it_ends_the_session():
    user = make_staff("erika", Role.EDITOR)
    cookie = verified(user)
    user.set_password("another long passphrase 43")
    user.save()
    assert staff_standing(get("/staff/", cookie)) is Standing.NONE


def test_staff_reading_the_public_pages_are_readers():
    assert not is_verified_staff(get("/", verified(make_staff("erika", Role.EDITOR))))


def test_an_active_api_token_counts_and_a_revoked_or_made_up_one_does_not():
    token, secret = ApiToken.issue("Nagios", [Scope.INCIDENTS])
    path = "/api/staff/v1/incidents"
    assert is_verified_staff(get(path, token=secret))
    assert not is_verified_staff(get(path))
    assert not is_verified_staff(get(path, token=secret[:-1] + "x"))
    assert not is_verified_staff(get(path, token="sp_" + "0" * 12 + "_" + "A" * 43))
    assert not is_verified_staff(get("/staff/", token=secret))  # a token is for the API only
    token.revoke()
    assert not is_verified_staff(get(path, token=secret))


def test_a_token_of_a_deactivated_author_does_not_count():
    author = make_staff("erika", Role.EDITOR)
    _token, secret = ApiToken.issue("Nagios", [Scope.INCIDENTS], created_by=author)
    path = "/api/staff/v1/incidents"
    assert is_verified_staff(get(path, token=secret))

    author.is_active = False
    author.save()
    active_tokens.forget()  # as the token's own save would; the user's save is not watched

    assert not is_verified_staff(get(path, token=secret))


def test_made_up_tokens_cost_no_query():
    ApiToken.issue("Nagios", [Scope.INCIDENTS])
    is_verified_staff(get("/api/staff/v1/incidents", token="sp_0_x"))  # reads the active hashes
    with CaptureQueriesContext(connection) as captured:
        for n in range(50):
            made_up = f"sp_{n:012x}_{'A' * 43}"
            assert not is_verified_staff(get("/api/staff/v1/incidents", token=made_up))
    assert len(captured.captured_queries) == 0


@pytest.fixture
def busy_gate(settings, tmp_path):
    """The gate with its one public slot held, and no room to wait: a reader gets a 503."""
    settings.VAR_DIR = tmp_path
    settings.PUBLIC_CONCURRENCY = 1
    settings.PUBLIC_QUEUE_SECONDS = 5
    settings.MIRROR_BASE_URL = "https://mirror.example/"
    entered, release = threading.Event(), threading.Event()
    staff_present: list[bool] = []

    def view(request):
        if request.path == "/slow/":
            entered.set()
            release.wait(5)
        else:
            staff_present.append(gate.presence.anywhere())
        return HttpResponse("ok")

    gate = PublicAdmissionMiddleware(view)
    gate.staff_present = staff_present
    holder = threading.Thread(target=gate, args=[get("/slow/")])
    holder.start()
    assert entered.wait(5)
    settings.PUBLIC_QUEUE_LENGTH = 0
    yield gate
    release.set()
    holder.join(5)


@pytest.mark.parametrize("path", ["/staff/login/", "/admin/login/"])
def test_an_anonymous_login_page_takes_a_public_slot(busy_gate, path):
    assert busy_gate(get(path)).status_code == 503
    assert busy_gate.staff_present == []


def test_a_made_up_token_takes_a_public_slot(busy_gate):
    ApiToken.issue("Nagios", [Scope.INCIDENTS])
    made_up = "sp_" + "0" * 12 + "_" + "A" * 43
    assert busy_gate(get("/api/staff/v1/incidents", token=made_up)).status_code == 503


def test_a_signed_in_staff_member_passes_and_readers_give_way_meanwhile(busy_gate):
    cookie = verified(make_staff("erika", Role.EDITOR))
    assert busy_gate(get("/staff/", cookie)).status_code == 200
    assert busy_gate.staff_present == [True]


def test_an_active_token_passes_and_readers_give_way_meanwhile(busy_gate):
    _, secret = ApiToken.issue("Nagios", [Scope.INCIDENTS])
    assert busy_gate(get("/api/staff/v1/incidents", token=secret)).status_code == 200
    assert busy_gate.staff_present == [True]


def test_an_anonymous_staff_address_never_makes_readers_wait(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PUBLIC_CONCURRENCY = 4
    seen: list[bool] = []

    def view(request):
        seen.append(gate.presence.anywhere())
        return HttpResponse("ok")

    gate = PublicAdmissionMiddleware(view)
    for path in ("/staff/login/", "/admin/login/", "/api/staff/v1/incidents"):
        assert gate(get(path)).status_code == 200
    assert seen == [False, False, False]
