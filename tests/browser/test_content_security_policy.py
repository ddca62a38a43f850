"""Every kind of page works under its Content-Security-Policy: no violation in Chromium.

The policy forbids inline script, eval and inline styles; htmx, the console's scripts and the
widget's inline styles (allowed by hash) must all work without them. Each page's
`securitypolicyviolation` events and its console's CSP errors are collected from the start.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from console.roles import Role
from incidents.models import Incident
from tests.browser.test_console import sign_in
from tests.console.conftest import make_staff
from tests.factories import schedule_maintenance

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def watched(context: BrowserContext) -> tuple[Page, list[str]]:
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def assert_no_violation(page: Page, errors: list[str]) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.cspViolations") == []
    assert errors == []


def test_public_pages_run_under_the_policy(watched, site):
    page, errors = watched
    incident = Incident.objects.order_by("-pk").first()
    for path in ["/", f"/incidents/{incident.pk}/", "/blog/", "/history/", "/subscribe/"]:
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        assert_no_violation(page, errors)
    # htmx works on the status page: it loaded, with its own styles left out.
    page.goto("/")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert_no_violation(page, errors)


def test_the_widget_styles_apply_and_any_site_may_frame_it(watched, site):
    page, errors = watched
    response = page.goto("/widget/")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "'unsafe-inline'" not in policy
    assert "x-frame-options" not in response.headers
    colour = page.locator(".widget").evaluate("e => getComputedStyle(e).borderLeftStyle")
    assert colour == "solid"  # the inline <style>, allowed by its hash
    assert_no_violation(page, errors)


def test_console_pages_and_their_htmx_previews_run_under_the_policy(watched, site):
    page, errors = watched
    admin = make_staff("csp-admin", Role.ADMIN)
    sign_in(page, admin)
    assert_no_violation(page, errors)

    page.goto("/staff/incidents/new/")
    assert_no_violation(page, errors)
    page.locator("textarea[name=body]").fill("We are **looking** into it.")
    # The markdown preview posts the text as "body" without eval (console.js).
    expect(page.locator(".markdown-preview strong")).to_have_text("looking")
    assert_no_violation(page, errors)

    start = timezone.now() + timedelta(days=2)
    maintenance = schedule_maintenance(start=start, end=start + timedelta(hours=1))
    page.goto(f"/staff/maintenance/{maintenance.pk}/")
    act = page.locator("details.act").first
    act.locator("summary").click()
    # Opening an act loads its preview: the "details-opened" event, not an eval'd filter.
    expect(act.locator(".preview-slot")).not_to_be_empty()
    assert_no_violation(page, errors)
