"""A crawl of the mirror from its root under a path prefix, as nginx serves it.

Every href, src, action and data-hx-get in every HTML page is followed: links inside the mirror
must answer 200 and stay under the prefix; links elsewhere are recorded, and none may lead
to the live site except the ones listed in ALLOWED_LIVE_LINKS.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

import actions
from incidents.models import Component, ComponentStatus, Incident, IncidentStatus, Maintenance
from notifier import dispatch
from notifier.models import Delivery, DeliveryState
from tests.factories import make_tag, open_incident, publish_post, schedule_maintenance
from tests.mirror.conftest import PREFIX, SITE_HOST, SITE_URL
from tests.servers.nginx import NginxServer

pytestmark = [pytest.mark.django_db]

LINK_ATTRIBUTES = {"href", "src", "action", "data-hx-get"}
# Links from the mirror's HTML pages to the live site that are meant to be there. None: every
# page links within the site relatively (incidents/relative_links.py), and the <link
# rel="alternate"> feeds are relative too. The feeds themselves and the JSON API carry absolute
# SITE_URL links on purpose (feed readers and API clients need them) but are not HTML pages.
# The one exception: Subscribe, a form that needs the app, points at the live site on purpose.
ALLOWED_LIVE_LINKS: set[str] = {f"{SITE_URL}/subscribe/", f"{SITE_URL}/nb/subscribe/"}
# Links the mirror cannot answer yet, with the reason; each has a strict xfail test below.
KNOWN_BROKEN: dict[str, str] = {}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in LINK_ATTRIBUTES and value]


@dataclass
class Crawl:
    pages: dict[str, int] = field(default_factory=dict)  # path under the prefix: status
    html_pages: int = 0
    broken: dict[str, set[str]] = field(default_factory=dict)  # target: pages linking to it
    escaped: dict[str, set[str]] = field(default_factory=dict)  # outside the prefix
    live: dict[str, set[str]] = field(default_factory=dict)  # to SITE_URL's host
    external: set[str] = field(default_factory=set)  # hosts and schemes elsewhere


def crawl(nginx: NginxServer) -> Crawl:
    root = nginx.url
    result = Crawl()
    queue, seen = deque([root]), {root}
    while queue:
        url = queue.popleft()
        status, content_type, body = nginx.get(url)
        path = url.removeprefix(root)
        result.pages[path] = status
        if status != 200 or not content_type.startswith("text/html"):
            continue
        result.html_pages += 1
        parser = Links()
        parser.feed(body.decode())
        for link in parser.found:
            target, _fragment = urldefrag(urljoin(url, link))
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https"):
                result.external.add(f"{parts.scheme}:")
            elif parts.netloc == SITE_HOST:
                result.live.setdefault(target, set()).add(path)
            elif parts.netloc != urlsplit(root).netloc:
                result.external.add(parts.netloc)
            elif not target.startswith(root):
                result.escaped.setdefault(target, set()).add(path)
            elif target not in seen:
                seen.add(target)
                queue.append(target)
    for target, status in result.pages.items():
        if status != 200:
            result.broken[target] = set()
    return result


def linked_from(result: Crawl, nginx: NginxServer, target: str) -> set[str]:
    """Which pages link to `target` (found again by a second look, for the failure message)."""
    pages = set()
    for path, status in result.pages.items():
        _s, content_type, body = nginx.get(path)
        if status == 200 and content_type.startswith("text/html"):
            parser = Links()
            parser.feed(body.decode())
            full = nginx.url + path
            if any(
                urldefrag(urljoin(full, link))[0] == nginx.url + target for link in parser.found
            ):
                pages.add(path)
    return pages


@dataclass
class Site:
    active: Incident
    upcoming: Maintenance


@pytest.fixture
def mirrored_site(mirror, settings) -> Site:
    """The demo history plus an open incident, a window to come and a tagged post; mirrored."""
    settings.HISTORY_PAGE_SIZE = 3
    settings.BLOG_PAGE_SIZE = 4
    call_command("load_demo", stdout=StringIO())
    imap = Component.objects.get(name="IMAP")
    active = open_incident(
        "Logins fail",
        body="Users cannot log in.",
        impact="critical",
        components={imap: ComponentStatus.MAJOR_OUTAGE},
    )
    now = timezone.now()
    upcoming = schedule_maintenance(
        "Storage migration", start=now + timedelta(days=3), end=now + timedelta(days=3, hours=2)
    )
    publish_post("New spam filter", slug="new-spam-filter", tags=[make_tag("Spam")])
    call_command("build_mirror", stdout=StringIO())
    # And one incremental publish on top, as the workers make them.
    actions.post_incident_update(active, status=IncidentStatus.MONITORING, body="Watching it.")
    pending = Delivery.objects.filter(channel="mirror_local", state=DeliveryState.PENDING)
    for pk in pending.order_by("id").values_list("id", flat=True):
        assert dispatch.run([pk]).sent == 1
    return Site(active, upcoming)


def test_a_crawl_from_the_mirror_root_under_a_prefix_finds_no_broken_link(mirrored_site, nginx):
    result = crawl(nginx)

    broken = {
        target: linked_from(result, nginx, target)
        for target in result.broken
        if target not in KNOWN_BROKEN
    }
    assert broken == {}, "links in the mirror that answer an error"
    assert result.escaped == {}, f"links that leave /{PREFIX}/"
    assert set(result.live) <= ALLOWED_LIVE_LINKS, f"links back to the live site {SITE_URL}"
    assert set(result.broken) == set(KNOWN_BROKEN)

    # It did crawl the site: every kind of page, several pages of lists, assets and feeds.
    pages = set(result.pages)
    assert result.html_pages > 60
    for path in (
        "",
        "history/",
        "history/page/2/",
        "blog/",
        "blog/page/2/",
        "blog/new-spam-filter/",
        f"incidents/{mirrored_site.active.pk}/",
        f"maintenance/{mirrored_site.upcoming.pk}/",
        "blog/category/news/",
        "blog/category/news/page/2/",
        "blog/tag/spam/",
        "feed.atom",
        "feed.rss",
        "static/css/site.css",
        "static/js/localtime.js",
        "static/django_htmx/htmx-2.min.js",
        "static/favicon.svg",
    ):
        assert path in pages, path
    # Both languages, complete: every page of the default language has its Norwegian twin.
    english = {page for page in pages if not page.startswith(("nb/", "static/"))}
    norwegian = {page.removeprefix("nb/") for page in pages if page.startswith("nb/")}
    assert english - norwegian == set(), "pages the crawl found in English only"
    assert norwegian - english == set(), "pages the crawl found in Norwegian only"
    # The demo's posts link to Runbox's other sites; those are the content's, not ours.
    assert {"blog.runbox.com", "support.runbox.com"} <= result.external


def test_an_address_the_mirror_does_not_have_answers_404_with_the_sites_page(mirrored_site, nginx):
    status, content_type, body = nginx.get("incidents/999999/")

    assert (status, content_type) == (404, "text/html; charset=utf-8")
    assert b"<!doctype html>" in body.lower()


def test_the_subscribe_link_points_at_the_live_site_explicitly(mirrored_site, nginx):
    from django.conf import settings

    _status, _type, body = nginx.get("")
    assert f'href="{settings.SITE_URL}/subscribe/"'.encode() in body


def test_the_404_pages_links_stay_under_the_prefix(mirrored_site, nginx):
    _status, _type, body = nginx.get("no/such/page/")
    parser = Links()
    parser.feed(body.decode())
    for link in parser.found:
        target = urljoin(nginx.url + "no/such/page/", link)
        if urlsplit(target).netloc == urlsplit(nginx.url).netloc:
            assert target.startswith(nginx.url), link


@pytest.mark.browser
def test_the_mirrored_status_page_refreshes_in_place(mirrored_site, nginx, monkeypatch):
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    # Playwright's sync API runs an event loop in this thread; the test's database is done with.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.clock.install()
            polls = []
            page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") else 0)
            page.goto(nginx.url)
            page.wait_for_load_state("networkidle")
            assert page.locator("header.site-header").count() == 1
            page.clock.run_for(61_000)
            page.wait_for_timeout(1000)
            assert polls == [nginx.url]
            assert page.locator("header.site-header").count() == 1
            assert page.locator("footer.site-footer").count() == 1
        finally:
            browser.close()
