"""An admin connects a monitoring system and a receiver, as the README tells them to.

In the console (the UI the README names) the admin registers a webhook pointing at a receiver
on this machine and issues an API token; the monitoring system opens an incident with the
token through the staff API; the receiver gets the signed notice and checks it with the
README's own example code.
"""

from __future__ import annotations

import json
import queue
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.conftest import create_staff, sign_in
from tests.journeys.product import Product
from tests.notifier.loopback import FakeHandler, serving
from tests.notifier.test_webhook_readme import code_block

pytestmark = pytest.mark.browser

TITLE = "SMTP relay rejects authenticated senders"
BODY = "Sending mail fails with '535 authentication failed'. Reading mail works."


class Received:
    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers = headers
        self.body = body
        self.json: dict[str, Any] = json.loads(body)


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[Received]]]:
    """A webhook receiver on loopback that answers 200 and hands over what it got."""
    got: queue.Queue[Received] = queue.Queue()

    class Handler(FakeHandler):
        def do_POST(self) -> None:
            got.put(Received(dict(self.headers.items()), self.body()))
            self.reply(200)

    with serving(Handler) as port:
        yield f"http://127.0.0.1:{port}/statuspage-hook", got


def readme_verify_webhook() -> Any:
    """`verify_webhook` exactly as the README's Webhooks section prints it."""
    namespace: dict[str, Any] = {}
    exec(code_block("python"), namespace)
    return namespace["verify_webhook"]


def api(product: Product, method: str, path: str, token: str, body: dict | None = None) -> Any:
    request = urllib.request.Request(
        product.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def notice_about(got: queue.Queue[Received], title: str) -> Received:
    """The first notice about `title`; other journeys' notices reach every-component hooks."""
    while True:
        received = got.get(timeout=60)
        if received.json.get("incident", {}).get("name") == title:
            return received


def test_an_admin_connects_a_webhook_receiver_and_a_monitoring_token(
    product: Product, desk: Page, receiver: tuple[str, queue.Queue[Received]]
) -> None:
    hook_url, got = receiver
    admin = create_staff(product, "integrations-admin", "admin")
    sign_in(desk, admin)
    console = desk.get_by_role("navigation", name="Console")

    console.get_by_role("link", name="Webhooks").click()
    desk.get_by_role("link", name="Register a webhook").click()
    desk.get_by_label("Address").fill(hook_url)
    desk.get_by_label("SMTP", exact=True).check()
    desk.get_by_role("button", name="Register").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Webhook registered")
    secret = desk.locator(".once code.secret").inner_text().strip()

    console.get_by_role("link", name="API tokens").click()
    desk.get_by_role("link", name="Issue a token").click()
    desk.get_by_label("Name").fill("Mail monitor")
    desk.get_by_label("Open, update and resolve incidents").check()
    desk.get_by_role("button", name="Issue").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Token issued for Mail monitor")
    token = desk.locator(".once code.secret").inner_text().strip()

    # The monitoring system, with nothing but the token and the public API.
    components = api(product, "GET", "/api/v2/components.json", token)["components"]
    [smtp] = [c["id"] for c in components if c["name"] == "SMTP"]
    opened = api(product, "POST", "/api/staff/v1/incidents", token, {
        "name": TITLE, "body": BODY, "impact": "major", "components": {smtp: "major_outage"},
    })  # fmt: skip

    notice = notice_about(got, TITLE)
    verify_webhook = readme_verify_webhook()
    assert verify_webhook(secret, notice.headers, notice.body)
    assert not verify_webhook(secret, notice.headers, notice.body + b" ")
    assert not verify_webhook("another secret", notice.headers, notice.body)
    assert notice.headers["X-Statuspage-Event"] == "incident.opened"
    incident = notice.json["incident"]
    assert incident["shortlink"].startswith(product.url + "/")
    assert incident["incident_updates"][0]["body"] == BODY
    assert [c["id"] for c in incident["components"]] == [smtp]
    assert incident["id"] == opened["id"]

    # The console shows both at work: the hook's last delivery, the token's last use.
    console.get_by_role("link", name="Webhooks").click()
    row = desk.locator("tbody tr", has_text=hook_url)
    expect(row.locator("td[data-label='Last delivered']")).not_to_have_text("Never")
    expect(row.locator("td[data-label='Last failure']")).to_have_text("None")
    console.get_by_role("link", name="API tokens").click()
    row = desk.locator("tbody tr", has_text="Mail monitor")
    expect(row.locator("td[data-label='Last used']")).not_to_have_text("Never")

    # Done with the receiver: the hook goes, so later notices are not sent to a closed port.
    console.get_by_role("link", name="Webhooks").click()
    desk.locator("tbody tr", has_text=hook_url).get_by_role("link", name="Delete…").click()
    desk.get_by_role("button", name="Delete webhook").click()
    expect(desk.locator(".flash")).to_contain_text("Deleted the webhook")
    expect(desk.locator("tbody")).not_to_contain_text(hook_url)
