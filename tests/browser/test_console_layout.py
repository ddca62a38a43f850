"""The console's layout in Chromium on a 390 px phone: every page fits, and the previews
on the incident and maintenance forms show where the writer looks, above Publish.

The staff member is signed in by a session cookie (password and TOTP are tested in
test_console.py), so these tests spend their time on the pages themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from console.models import MessageTemplate
from console.roles import Role
from incidents.models import Component, ComponentGroup, Incident, Maintenance, Post
from notifier.models import Notice
from tests.console.conftest import make_staff
from tests.factories import OSLO, open_incident, verify_client

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def admin_phone(
    browser: Browser, site: str, requested_urls: list[str], settings
) -> Iterator[BrowserContext]:
    """A phone-sized context holding a signed-in admin's session; nothing is delivered."""
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    settings.MIRROR_LOCAL_DIR = settings.MIRROR_RSYNC_TARGET = settings.MIRROR_S3_BUCKET = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = Client()
    verify_client(client, make_staff("ada", Role.ADMIN))
    cookie = django_settings.SESSION_COOKIE_NAME
    session = {"name": cookie, "value": client.cookies[cookie].value, "url": site}
    context = browser.new_context(
        base_url=site,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/Oslo",
    )
    context.add_cookies([session])
    context.set_default_timeout(10_000)
    context.on("request", lambda request: requested_urls.append(request.url))
    yield context
    context.close()


def console_pages() -> list[str]:
    """Every console page a staff member opens with GET, one of each kind of object."""
    incident = Incident.objects.order_by("-pk").first()
    maintenance = Maintenance.objects.order_by("-pk").first()
    post = Post.objects.order_by("-pk").first()
    component = Component.objects.order_by("pk").first()
    group = ComponentGroup.objects.order_by("pk").first()
    # Seeded by a migration, which a flushing test before this one may have emptied.
    template, _ = MessageTemplate.objects.get_or_create(
        name="Layout check", defaults={"title": "IMAP down", "body": "We are looking into it."}
    )
    notice = Notice.objects.order_by("pk").first()
    staff = get_user_model().objects.get(username="ada")
    names = [
        "dashboard", "incidents", "incident_new", "maintenance_list", "maintenance_new",
        "message_templates", "message_template_new", "notices", "posts", "post_new",
        "components", "component_new", "group_new", "users", "user_new", "audit",
        "webhooks", "webhook_new", "tokens", "token_new",
    ]  # fmt: skip
    with_objects = [
        ("incident", incident), ("maintenance", maintenance), ("post", post),
        ("component", component), ("group", group), ("message_template_edit", template),
        ("notice", notice), ("user", staff),
    ]  # fmt: skip
    pages = [reverse(f"console:{name}") for name in names]
    for name, obj in with_objects:
        assert obj is not None, f"no object for console:{name}"
        pages.append(reverse(f"console:{name}", args=[obj.pk]))
    return pages


# What sticks out past the viewport, to name it when a page is too wide.
WIDEST = """[...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
  .slice(-3)
  .map((e) => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 60))"""


def test_every_console_page_fits_a_390px_phone(admin_phone: BrowserContext) -> None:
    open_incident("IMAP logins fail for some users")  # a notice for the deliveries pages
    page = admin_phone.new_page()
    too_wide = {}
    for address in console_pages():
        response = page.goto(address)
        assert response is not None and response.status == 200, address
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[address] = (width, page.evaluate(WIDEST))
    assert too_wide == {}, f"wider than {PHONE['width']} px: {too_wide}"


def preview_then_publish(page: Page, form: str, button: str, body: str) -> None:
    """Type the body; both previews show, and on a phone they come before the button."""
    page.wait_for_load_state()  # htmx has wired the page up
    text = page.locator(f"{form} textarea").first
    text.fill(f"**{body}** and more.")
    markdown = page.locator(f"{form} .markdown-preview").first
    expect(markdown.locator("strong")).to_have_text(body)
    expect(page.locator("#preview .preview-entry").first).to_contain_text(body)
    expect(markdown.locator("strong")).to_be_visible()  # not overwritten by the publish preview
    publish = page.locator(form).get_by_role("button", name=button, exact=True).bounding_box()
    preview = page.locator("#preview").bounding_box()
    assert publish is not None and preview is not None
    assert preview["y"] + preview["height"] <= publish["y"], (preview, publish)


def test_on_a_phone_both_previews_show_above_the_publish_button(
    admin_phone: BrowserContext,
) -> None:
    page = admin_phone.new_page()
    page.goto("/staff/incidents/new/")
    page.get_by_label("Title", exact=True).fill("IMAP logins fail")
    preview_then_publish(page, "#incident-form", "Publish", "Logins fail")

    page.goto("/staff/maintenance/new/")
    page.get_by_label("Title", exact=True).fill("Database upgrade")
    start = (timezone.now() + timedelta(days=1)).astimezone(OSLO).replace(hour=22, minute=0)
    page.get_by_label("Starts", exact=True).fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label("Ends", exact=True).fill(f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    preview_then_publish(page, "#maintenance-form", "Schedule and announce", "We upgrade")
