"""Journeys: the product started by `make run`, driven in Chromium as a person would.

One product serves every journey of a run (a cold start loads ten years of demo history);
each journey uses its own names, addresses and staff accounts, and fails on any traceback the
product logged while it ran.
"""

from __future__ import annotations

import os
import re
from base64 import b32decode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.journeys.product import Product
from tests.notifier.push_service import PushService, running_push_service
from tests.notifier.sms_provider import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, running_provider
from tests.notifier.sms_provider import Provider as SmsProvider
from tests.servers.certificates import TestCertificates

PASSWORD = "journey password 42, not for production"
LOCAL_SCHEMES = {"data", "blob", "about"}


@pytest.fixture(scope="session")
def sms_provider() -> Iterator[SmsProvider]:
    """Twilio's API, faked on loopback: the one provider the product is pointed at."""
    with running_provider() as provider:
        yield provider


@pytest.fixture(scope="session")
def journey_certs(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return TestCertificates(tmp_path_factory.mktemp("journey-certs"))


@pytest.fixture(scope="session")
def push_service(journey_certs: TestCertificates) -> Iterator[PushService]:
    """A browser vendor's push service, faked on loopback over https as `localhost`."""
    with running_push_service(journey_certs, name="localhost") as service:
        yield service


def _third_parties(sms: SmsProvider, certs: TestCertificates) -> dict[str, str]:
    """Settings beyond `make run`'s defaults that reach the fakes of services we cannot reach:
    an SMS provider, and (loopback allowed, our test authority trusted) readers' push services
    and chat webhooks."""
    return {
        "SSL_CERT_FILE": str(certs.ca),
        "SMS_PROVIDER": "twilio",
        "TWILIO_API_URL": sms.url,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM": TWILIO_FROM,
        "OUTBOUND_ALLOW_LOOPBACK": "true",
    }


@pytest.fixture(scope="session")
def product(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sms_provider: SmsProvider,
    journey_certs: TestCertificates,
    push_service: PushService,
):
    """`make run` on SQLite and the embedded broker; with --postgres, on PostgreSQL and Redis."""
    workdir = tmp_path_factory.mktemp("product")
    fakes = _third_parties(sms_provider, journey_certs)
    if not request.config.getoption("--postgres"):
        with Product(workdir, **fakes) as running:
            yield running
        return
    from tests.servers.postgres import PostgresServer
    from tests.servers.redis import RedisServer

    with PostgresServer() as database, RedisServer() as broker:
        settings = {"DATABASE_URL": database.url, "CELERY_BROKER_URL": broker.url, **fakes}
        with Product(workdir, **settings) as running:
            yield running


@pytest.fixture(autouse=True)
def _no_traceback(request: pytest.FixtureRequest) -> Iterator[None]:
    if "product" not in request.fixturenames:
        yield
        return
    product: Product = request.getfixturevalue("product")
    since = len(product.log())
    yield
    found = product.tracebacks(since)
    assert not found, "the product logged a traceback during this journey:\n" + found[0]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `python3 tests/system_deps.py` installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(browser: Browser, base_url: str, width: int, height: int) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": height},
        locale="en-GB",
        timezone_id="America/New_York",  # a reader far from Oslo still sees the site's zone
    )
    context.set_default_timeout(15_000)
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    context.requested = requested  # type: ignore[attr-defined]
    return context


def _only_local(context: BrowserContext, product: Product) -> None:
    hosts = {urlsplit(product.url).netloc, urlsplit(product.staff_url).netloc}
    foreign = [
        url
        for url in context.requested  # type: ignore[attr-defined]
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc not in hosts
    ]
    assert not foreign, f"pages loaded URLs from elsewhere: {foreign}"


@pytest.fixture
def reader(browser: Browser, product: Product) -> Iterator[Page]:
    """A reader at a desktop browser on the public site."""
    context = _context(browser, product.url, 1280, 900)
    yield context.new_page()
    context.close()
    _only_local(context, product)


@pytest.fixture
def phone(browser: Browser, product: Product) -> Iterator[Page]:
    """Staff on a phone-sized screen, on the console's own server."""
    context = _context(browser, product.staff_url, 390, 844)
    yield context.new_page()
    context.close()
    _only_local(context, product)


@pytest.fixture
def desk(browser: Browser, product: Product) -> Iterator[Page]:
    """Staff at a desktop browser, on the console's own server."""
    context = _context(browser, product.staff_url, 1280, 900)
    yield context.new_page()
    context.close()
    _only_local(context, product)


@dataclass
class Staff:
    username: str
    key: str

    def code(self) -> str:
        totp = TOTP(b32decode(self.key))
        return f"{totp.token():06d}"


def create_staff(product: Product, username: str, role: str, email: str = "") -> Staff:
    """An account made as the README says, with `manage.py create_staff`."""
    out = product.manage(
        "create_staff", username, "--role", role, "--email", email,
        "--password-from-env", "JOURNEY_PASSWORD", env={"JOURNEY_PASSWORD": PASSWORD},
    )  # fmt: skip
    match = re.search(r"Key: ([A-Z2-7=]+)", out)
    assert match, out
    return Staff(username, match[1])


def sign_in(page: Page, staff: Staff) -> None:
    """The first login: password, then the authenticator set up with its first code."""
    page.goto("/staff/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/staff/verify/"))
    assert staff.key in page.content().replace(" ", "")  # the key to type, beside the QR code
    page.get_by_label("Code from your authenticator app").fill(staff.code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


@pytest.fixture
def artifacts() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"
    path.mkdir(parents=True, exist_ok=True)
    return path
