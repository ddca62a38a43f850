"""The push subscribe page's own script in Chromium: worker, subscription, CSRF and the post."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import BrowserContext, expect

from incidents.models import Component
from notifier.models import ContactPoint
from notifier.push_keys import b64url, public_point
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.factories import open_incident
from tests.notifier.push_service import PushService, push_certs, push_service
from tests.notifier.test_push import vapid

pytestmark = pytest.mark.browser
__all__ = ["push_certs", "push_service", "vapid"]  # fixtures, used by name

# Headless Chromium has no push service it can reach, so its pushManager.subscribe() would fail.
# This init script stands in for that one call only: it returns a subscription whose endpoint is
# the test's local fake push service and whose keys are the test's, as a browser's would be.
# Everything else is real: the service worker's registration, the CSRF token, the form's POST
# and the page's answer. sessionStorage lets getSubscription() find it after the page changes.
FAKE_SUBSCRIBE = """
(() => {
  const given = %s;
  const made = (json) => ({
    endpoint: json.endpoint,
    options: { applicationServerKey: null, userVisibleOnly: true },
    toJSON: () => json,
    unsubscribe: async () => { sessionStorage.removeItem("push-subscription"); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    if (!options.userVisibleOnly || !(options.applicationServerKey instanceof Uint8Array)) {
      throw new TypeError("subscribe needs userVisibleOnly and the server's key");
    }
    const key = Array.from(options.applicationServerKey);
    sessionStorage.setItem("push-asked-with-key", JSON.stringify(key));
    sessionStorage.setItem("push-subscription", JSON.stringify(given));
    return made(given);
  };
  PushManager.prototype.getSubscription = async function () {
    const kept = sessionStorage.getItem("push-subscription");
    return kept ? made(JSON.parse(kept)) : null;
  };
})();
"""


def test_the_page_subscribes_this_browser_and_a_notice_reaches_it(
    context: BrowserContext, push_service: PushService, site: str, vapid, eager_celery
):
    browser = push_service.subscribe()
    context.add_init_script(RECORD_VIOLATIONS)
    context.add_init_script(FAKE_SUBSCRIBE % json.dumps(browser.subscription()))
    page = context.new_page()
    imap = Component.objects.get(name="IMAP")

    page.goto("/subscribe/push/")
    expect(page.locator("#push-status")).to_have_text(
        "Choose the services, then allow notifications when the browser asks."
    )
    assert page.evaluate("window.cspViolations") == []
    page.get_by_label("IMAP").check()
    page.get_by_role("button", name="Notify me in this browser").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("This browser will be notified")
    expect(page.get_by_text("You will get a notification here about IMAP.")).to_be_visible()
    assert page.evaluate("window.cspViolations") == []
    point = ContactPoint.objects.get(channel="push")
    assert point.address == browser.endpoint
    assert point.details == {"p256dh": browser.p256dh, "auth": browser.auth}
    assert list(point.subscriber.components.all()) == [imap]
    # The page asked for the subscription with our VAPID public key.
    key = bytes(json.loads(page.evaluate("sessionStorage.getItem('push-asked-with-key')")))
    assert b64url(key) == public_point(vapid)
    worker = page.evaluate(
        "navigator.serviceWorker.getRegistration('/').then("
        "(r) => r && r.active && [r.scope, r.active.scriptURL])"
    )
    assert worker == [f"{site}/", f"{site}/push-worker.js"]

    open_incident("Logins fail", components={imap: "major_outage"})
    [push] = push_service.delivered()
    assert push.payload is not None and push.payload["title"] == "Logins fail"

    # The stop button appears for a subscribed browser, and forgets it.
    page.get_by_role("button", name="Stop notifying this browser").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This browser will no longer be notified"
    )
    assert not ContactPoint.objects.exists()


def test_a_browser_without_the_push_api_is_told_so_plainly(context: BrowserContext, vapid):
    context.add_init_script("delete window.PushManager;")
    page = context.new_page()

    page.goto("/subscribe/push/")

    expect(page.locator("#push-status")).to_contain_text(
        "This browser cannot receive push notifications from this site"
    )
    expect(page.get_by_role("button", name="Notify me in this browser")).to_be_hidden()
