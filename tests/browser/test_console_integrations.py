"""Webhooks and API tokens on a 390 px phone: an admin registers an endpoint and issues a
token, copies each secret from the one page that shows it, then disables and deletes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from console.roles import Role
from incidents.models import ApiToken
from notifier.models import WebhookEndpoint
from tests.browser.test_console import PHONE, no_horizontal_scroll, phone, sign_in  # noqa: F401
from tests.console.conftest import make_staff

pytestmark = pytest.mark.browser


def test_an_admin_manages_webhooks_and_tokens_on_a_phone(
    phone: BrowserContext,  # noqa: F811
    artifacts: Path,
) -> None:
    admin = make_staff("adam", Role.ADMIN)
    page = phone.new_page()
    sign_in(page, admin)

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Webhooks").tap()
    page.get_by_role("link", name="Register a webhook").tap()
    page.get_by_label("Address").fill("ftp://hooks.example.com/status")
    page.get_by_role("button", name="Register").tap()
    expect(page.get_by_role("alert")).to_contain_text("starts with https://")
    page.get_by_label("Address").fill(
        "https://hooks.example.com/a/rather/long/path/that/must/wrap/on/a/phone/screen"
    )
    page.get_by_label("IMAP", exact=True).check()
    no_horizontal_scroll(page, PHONE)
    page.get_by_role("button", name="Register").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhook registered")
    endpoint = WebhookEndpoint.objects.get()
    expect(page.locator(".once code.secret")).to_have_text(endpoint.secret)
    no_horizontal_scroll(page, PHONE)
    page.get_by_role("link", name="All webhooks").tap()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("IMAP")
    expect(page.locator("body")).not_to_contain_text(endpoint.secret)
    row.get_by_role("button", name="Disable").tap()
    expect(row).to_contain_text("Disabled")
    no_horizontal_scroll(page, PHONE)
    page.screenshot(path=artifacts / "console-390-webhooks.png", full_page=True)
    row.get_by_role("link", name="Delete…").tap()
    page.get_by_role("button", name="Delete webhook").tap()
    expect(page.locator(".flash")).to_contain_text("Deleted the webhook")  # answered: committed
    assert not WebhookEndpoint.objects.exists()

    page.get_by_role("navigation", name="Console").get_by_role("link", name="API tokens").tap()
    page.get_by_role("link", name="Issue a token").tap()
    page.get_by_label("Name").fill("Nagios")
    page.get_by_label("Open, update and resolve incidents").check()
    page.get_by_role("button", name="Issue").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Token issued for Nagios")
    secret = page.locator(".once code.secret").inner_text()
    assert re.fullmatch(r"sp_[0-9a-f]{12}_\S+", secret)
    assert ApiToken.authenticate(secret) is not None
    no_horizontal_scroll(page, PHONE)
    page.get_by_role("link", name="All tokens").tap()
    expect(page.locator("tbody tr").first).to_contain_text("Nagios")
    expect(page.locator("body")).not_to_contain_text(secret)
    no_horizontal_scroll(page, PHONE)
    page.screenshot(path=artifacts / "console-390-tokens.png", full_page=True)
