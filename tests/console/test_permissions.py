"""Who gets what, for every URL of the console: generated from console.urls, so pages added
later are covered without touching this file.

Each view's guard (console.access.staff_view) carries the role it requires as
`required_role`; a console view without one, other than login, verify and logout, fails here.
Every URL is asked with GET and with an empty POST as: anonymous (sent to the login page, or
told by HX-Redirect when the request comes from htmx), signed in without the second factor
(sent to verify), verified with no role (403), an editor (403 on admin pages, never on editor
ones) and an admin (never 403). Allowed users are only asked with GET, so nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

import console.urls
from console.models import MessageTemplate
from console.roles import Role
from incidents.models import (
    ApiToken,
    AuditEntry,
    Component,
    ComponentGroup,
    Incident,
    Maintenance,
    Post,
    Probe,
)
from notifier.models import Notice, WebhookEndpoint
from tests.console.conftest import make_staff
from tests.factories import (
    make_category,
    make_component,
    make_group,
    open_incident,
    publish_post,
    schedule_maintenance,
    verify_client,
)

pytestmark = pytest.mark.django_db

# Pages anyone may open: the way in and out of the console.
OPEN_TO_ALL = {"console:login", "console:verify", "console:logout"}

# The model a URL's <int:pk> names, by the URL's first path segment under /staff/. A segment
# not listed gets pk 1 and may answer 404; a listed one must find its object.
MODEL_BY_SEGMENT: dict[str, type[models.Model]] = {
    "incidents": Incident,
    "maintenance": Maintenance,
    "deliveries": Notice,
    "notices": Notice,
    "posts": Post,
    "components": Component,
    "groups": ComponentGroup,
    "templates": MessageTemplate,
    "message-templates": MessageTemplate,
    "users": get_user_model(),
    "audit": AuditEntry,
    "webhooks": WebhookEndpoint,
    "tokens": ApiToken,
    "probes": Probe,
}
ALLOWED = {200, 302, 405}  # 405: a POST-only page asked with GET


@dataclass(frozen=True)
class ConsoleUrl:
    name: str  # "console:incident"
    route: str  # "incidents/<int:pk>/"
    view: object
    int_args: tuple[str, ...]
    other_args: tuple[str, ...]

    @property
    def required_role(self) -> Role | None:
        return getattr(self.view, "required_role", None)

    @property
    def segment(self) -> str:
        return self.route.split("/", 1)[0]

    def __str__(self) -> str:
        return self.name


def console_urls(
    patterns: list[URLPattern | URLResolver] | None = None,
    namespace: str = "console",
    prefix: str = "",
) -> list[ConsoleUrl]:
    """Every named URL of console.urls, included URLconfs too."""
    found = []
    for entry in console.urls.urlpatterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            found += console_urls(entry.url_patterns, inner, route)
            continue
        converters = getattr(entry.pattern, "converters", {})
        found.append(
            ConsoleUrl(
                name=f"{namespace}:{entry.name}" if entry.name else f"(unnamed) {route}",
                route=route,
                view=entry.callback,
                int_args=tuple(
                    k for k, c in converters.items() if type(c).__name__ == "IntConverter"
                ),
                other_args=tuple(
                    k for k, c in converters.items() if type(c).__name__ != "IntConverter"
                ),
            )
        )
    return found


URLS = console_urls()
GUARDED = [url for url in URLS if url.name not in OPEN_TO_ALL]


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Five users per test: the production hasher would make this file take a minute.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def objects(db) -> dict[type[models.Model], models.Model]:
    """One real row of each kind a console URL may name."""
    group = make_group("Email")
    component = make_component("IMAP", group=group)
    incident = open_incident("IMAP logins fail", components={component: "major_outage"})
    start = timezone.now() + timedelta(days=2)
    maintenance = schedule_maintenance(start=start, end=start + timedelta(hours=1))
    make_category("News")
    post = publish_post("New spam filter")
    template = MessageTemplate.objects.create(name="DDoS", body="We are under attack at {time}.")
    someone = make_staff("someone", Role.EDITOR)
    rows: dict[type[models.Model], models.Model] = {
        Incident: incident,
        Maintenance: maintenance,
        Post: post,
        Component: component,
        ComponentGroup: group,
        MessageTemplate: template,
        get_user_model(): someone,
        WebhookEndpoint: WebhookEndpoint.objects.create(url="https://hooks.example.com/status"),
        ApiToken: ApiToken.issue("Nagios", ["read"])[0],
        Probe: Probe.objects.create(
            component=component, name="IMAP 993", kind="imap", host="mail.example", port=993
        ),
    }
    notice = Notice.objects.order_by("id").first()
    if notice is None:  # no channel configured: a notice row of its own
        notice = Notice.objects.create(kind="incident_opened", incident=incident)
    rows[Notice] = notice
    entry = AuditEntry.objects.order_by("id").first()
    if entry is not None:
        rows[AuditEntry] = entry
    return rows


def address(url: ConsoleUrl, objects: dict[type[models.Model], models.Model]) -> tuple[str, bool]:
    """(the path to ask, whether a 404 is acceptable because the object may not exist)."""
    kwargs: dict[str, object] = {}
    may_be_missing = bool(url.other_args)
    model = MODEL_BY_SEGMENT.get(url.segment)
    for name in url.int_args:
        row = objects.get(model) if model is not None and name == "pk" else None
        if row is None:
            kwargs[name] = 1
            may_be_missing = True
        else:
            kwargs[name] = row.pk
    for name in url.other_args:
        kwargs[name] = "x"
    return reverse(url.name, kwargs=kwargs), may_be_missing


def sent_to(response, name: str, path: str) -> bool:
    target = response.get("HX-Redirect") or response.get("Location") or ""
    parts = urlsplit(target)
    return parts.path == reverse(name) and parse_qs(parts.query).get("next") == [path]


def test_the_console_has_urls_and_every_one_is_guarded_or_known_to_be_open() -> None:
    names = {url.name for url in URLS}
    assert {"console:dashboard", "console:incident_update", *OPEN_TO_ALL} <= names
    unguarded = [url.name for url in GUARDED if url.required_role is None]
    assert not unguarded, f"console views without console.access's guard: {unguarded}"
    assert not [url for url in URLS if url.name.startswith("(unnamed)")]
    # The audit log is an admin page; the dashboard an editor's.
    roles = {url.name: url.required_role for url in GUARDED}
    assert roles["console:audit"] == Role.ADMIN
    assert roles["console:dashboard"] == Role.EDITOR


@pytest.mark.parametrize("url", GUARDED, ids=str)
def test_anonymous_is_sent_to_login(url: ConsoleUrl, client: Client, objects) -> None:
    path, _ = address(url, objects)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path, response.status_code)
        assert sent_to(response, "console:login", path), response["Location"]
        htmx = getattr(client, method)(path, HTTP_HX_REQUEST="true")
        # htmx would swap the login page into the card: the browser is sent there instead.
        assert htmx.status_code == 200 and sent_to(htmx, "console:login", path), (
            method,
            path,
            htmx.status_code,
            dict(htmx.headers),
        )


@pytest.mark.parametrize("url", GUARDED, ids=str)
def test_password_without_second_factor_is_sent_to_verify(url: ConsoleUrl, objects) -> None:
    client = Client()
    client.force_login(make_staff("unverified", Role.ADMIN))
    path, _ = address(url, objects)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path, response.status_code)
        assert sent_to(response, "console:verify", path), response["Location"]


@pytest.mark.parametrize("url", GUARDED, ids=str)
def test_verified_user_without_a_role_is_refused(url: ConsoleUrl, objects) -> None:
    client = Client()
    verify_client(client, make_staff("norole", None))
    path, _ = address(url, objects)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 403, (method, path, response.status_code)


@pytest.mark.parametrize("url", GUARDED, ids=str)
def test_editor_opens_editor_pages_and_is_refused_admin_pages(url: ConsoleUrl, objects) -> None:
    client = Client()
    verify_client(client, make_staff("ed", Role.EDITOR))
    path, may_be_missing = address(url, objects)
    if url.required_role == Role.ADMIN:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 403, (method, path, response.status_code)
        return
    response = client.get(path)
    expected = ALLOWED | ({404} if may_be_missing else set())
    assert response.status_code in expected, (path, response.status_code)


@pytest.mark.parametrize("url", GUARDED, ids=str)
def test_admin_is_never_refused(url: ConsoleUrl, objects) -> None:
    client = Client()
    verify_client(client, make_staff("ad", Role.ADMIN))
    path, may_be_missing = address(url, objects)
    response = client.get(path)
    expected = ALLOWED | ({404} if may_be_missing else set())
    assert response.status_code in expected, (path, response.status_code)


@pytest.mark.parametrize("name", sorted(OPEN_TO_ALL))
def test_login_verify_and_logout_never_refuse_anyone(name: str, client: Client) -> None:
    response = client.get(reverse(name))
    # logout is POST only; verify sends a stranger to login; login shows its form.
    assert response.status_code in {200, 302, 405}, (name, response.status_code)
    if response.status_code == 302:
        assert urlsplit(response["Location"]).path == reverse("console:login")
