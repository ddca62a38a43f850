"""The public pages as a reader sees them in Chromium, with the Runbox demo history loaded."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from incidents import pages
from incidents.models import Component
from tests.factories import schedule_maintenance

pytestmark = pytest.mark.browser

DDOS_TITLE = "Email services down because of DDoS"
EMAIL_SERVICES = ["IMAP", "POP", "SMTP", "Webmail"]
NARROW = 390


def open_ddos_incident_from_history(page: Page) -> None:
    """Go to History and follow links to the January 2013 DDoS, paging back if need be."""
    page.goto("/history/")
    while True:
        month = page.get_by_role("region", name="January 2013")
        if month.count():
            month.get_by_role("link", name=DDOS_TITLE).click()
            return
        older = page.locator("nav.pagination a[rel=next]")
        assert older.count(), "January 2013 is on no page of the history"
        older.click()


def component_row(services: Locator, name: str) -> Locator:
    return services.locator("li.component").filter(
        has=services.page.locator(".component-name", has_text=re.compile(rf"^\s*{re.escape(name)}"))
    )


def test_status_page_shows_the_overall_status_and_the_services(page: Page, artifacts: Path) -> None:
    expected = pages.status_page().overall.description

    page.goto("/")

    banner = page.locator("section.banner")
    expect(banner.get_by_role("heading", level=1)).to_have_text(expected)
    expect(banner).to_be_visible()
    services = page.get_by_role("region", name="Services")
    expect(services).to_be_visible()
    for name in EMAIL_SERVICES:
        row = component_row(services, name)
        expect(row).to_have_count(1)
        expect(row).to_be_visible()
        expect(row.locator(".pill")).to_be_visible()
    page.screenshot(path=artifacts / "status-page.png", full_page=True)


def test_incident_page_shows_the_updates_newest_first(page: Page, artifacts: Path) -> None:
    open_ddos_incident_from_history(page)

    expect(page).to_have_url(re.compile(r"/incidents/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DDOS_TITLE)
    heads = page.locator("ol.timeline > li.update .update-head")
    expect(heads.first).to_be_visible()
    texts = heads.all_inner_texts()

    def position(clock: str) -> int:
        matches = [i for i, text in enumerate(texts) if clock in text]
        assert len(matches) == 1, f"{clock!r} in {texts}"
        return matches[0]

    assert position("03:45 CET") < position("01:45 CET") < position("00:45 CET")
    for clock in ("00:45 CET", "01:45 CET", "03:45 CET"):
        expect(heads.nth(position(clock))).to_be_visible()
    page.screenshot(path=artifacts / "incident.png", full_page=True)


def test_blog_shows_excerpts_that_continue_to_the_full_post(page: Page, artifacts: Path) -> None:
    page.goto("/blog/")

    excerpts = page.locator("article.post-excerpt")
    expect(excerpts.first).to_be_visible()
    continued = excerpts.filter(has=page.get_by_role("link", name=re.compile("^Continue reading")))
    assert continued.count() >= 1, "no excerpt has a “Continue reading” link"
    page.screenshot(path=artifacts / "blog.png", full_page=True)

    first = continued.first
    title = first.get_by_role("heading", level=2).inner_text()
    excerpt = first.locator(".prose").inner_text().strip()
    first.get_by_role("link", name=re.compile("^Continue reading")).click()

    expect(page).to_have_url(re.compile(r"/blog/[\w-]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    full = page.locator("article.post .prose").inner_text().strip()
    assert full.startswith(excerpt.splitlines()[0])
    assert len(full) > len(excerpt)
    expect(page.get_by_role("link", name=re.compile("^Continue reading"))).to_have_count(0)
    page.screenshot(path=artifacts / "blog-post.png", full_page=True)


def test_pages_fit_a_390px_wide_phone_without_sideways_scrolling(
    page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": NARROW, "height": 844})

    page.goto("/")
    page.screenshot(path=artifacts / "status-390.png", full_page=True)
    widths = {"/": page.evaluate("document.documentElement.scrollWidth")}
    for path in ("/history/", "/blog/"):
        page.goto(path)
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    open_ddos_incident_from_history(page)
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    widths["DDoS incident"] = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=artifacts / "incident-390.png", full_page=True)

    assert all(width <= NARROW for width in widths.values()), widths


def test_pages_load_nothing_from_other_hosts(
    page: Page, site: str, requested_urls: list[str]
) -> None:
    for path in ("/", "/history/", "/blog/"):
        page.goto(path, wait_until="networkidle")
    open_ddos_incident_from_history(page)
    page.wait_for_load_state("networkidle")

    assert any(url.endswith(".css") for url in requested_urls), requested_urls
    assert any(url.endswith(".js") for url in requested_urls), requested_urls
    assert all(url.startswith((site, "data:", "blob:", "about:")) for url in requested_urls), [
        url for url in requested_urls if not url.startswith(site)
    ]


def test_upcoming_maintenance_is_above_the_fold_right_under_the_banner(
    page: Page, artifacts: Path
) -> None:
    now = timezone.now()
    schedule_maintenance(
        "Storage migration",
        start=now + timedelta(days=3),
        end=now + timedelta(days=3, hours=2),
        components=list(Component.objects.filter(name__in=EMAIL_SERVICES)),
    )

    page.goto("/")

    upcoming = page.get_by_role("region", name="Scheduled maintenance")
    expect(upcoming.get_by_role("link", name="Storage migration")).to_be_visible()
    box = upcoming.bounding_box()
    assert box is not None and box["y"] < 900, box
    services = page.get_by_role("region", name="Services").bounding_box()
    assert services is not None and box["y"] < services["y"]
    levels = [
        int(tag[1])
        for tag in page.eval_on_selector_all(
            "main h1, main h2, main h3, main h4, main h5, main h6", "els => els.map(e => e.tagName)"
        )
    ]
    assert levels[0] == 1
    assert all(later <= earlier + 1 for earlier, later in pairwise(levels)), levels
    page.screenshot(path=artifacts / "status-upcoming.png", full_page=True)


@pytest.mark.parametrize(
    ("width", "heading", "bars"),
    [
        (1280, "The last 90 days", 90),
        (600, "The last 90 days (bars: the last 60)", 60),
        (NARROW, "The last 90 days (bars: the last 30)", 30),
    ],
)
def test_the_component_pages_heading_says_how_many_bars_each_width_shows(
    page: Page, width: int, heading: str, bars: int
) -> None:
    imap = Component.objects.get(name="IMAP")
    page.set_viewport_size({"width": width, "height": 844})

    page.goto(f"/components/{imap.pk}/")

    title = page.locator("#last-90-days")
    expect(title).to_have_text(heading, use_inner_text=True)  # as drawn: no hidden spans
    # A screen reader hears the span the text below covers, whatever the width.
    expect(title).to_have_accessible_name("The last 90 days")
    shown = page.locator(".component-page .bars > *").evaluate_all(
        "bars => bars.filter(bar => getComputedStyle(bar).display !== 'none').length"
    )
    assert shown == bars
