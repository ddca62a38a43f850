"""Links shared with tracking parameters (newsletters, Facebook) open the very same page.

Every public page reachable from the status page, plus the feeds, calendar, badges, widget
and API, answers 200 with an unknown query string, and with the same bytes as without it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page

from tests.journeys.product import Product

pytestmark = pytest.mark.browser

JUNK = "utm_source=newsletter&utm_medium=email&fbclid=IwAR0abc&_=1733400000"
FIXED = [
    "/feed.atom", "/feed.rss", "/feed.json", "/maintenance.ics", "/badge.svg", "/widget/",
    "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json",
    "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json", "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json", "/history/", "/blog/", "/subscribe/",
]  # fmt: skip
NOT_PUBLIC = ("/staff/", "/admin/", "/api/staff/", "/static/", "/unsubscribe/", "/confirm")
MAX_PAGES = 80
# A form's CSRF token is masked afresh on each answer; everything else must match.
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.found.append(href)


def public_pages(reader: Page, product: Product) -> list[str]:
    """Paths reachable from `/` on the site (breadth first), and the fixed documents."""
    queue, seen = ["/", *FIXED], {"/", *FIXED}
    pages = []
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        pages.append(path)
        response = reader.request.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = Links()
        parser.feed(response.text())
        for href in parser.found:
            url = urlsplit(urljoin(product.url + path, href))
            if url.netloc != urlsplit(product.url).netloc or url.query:
                continue
            if url.path not in seen and not url.path.startswith(NOT_PUBLIC):
                seen.add(url.path)
                queue.append(url.path)
    return pages


def test_every_public_page_answers_the_same_with_an_unknown_query_string(
    product: Product, reader: Page
) -> None:
    pages = public_pages(reader, product)
    kinds = {p.split("/")[1] for p in pages}
    assert {"incidents", "maintenance", "blog", "history", "api"} <= kinds, kinds
    different = []
    for path in pages:
        plain = reader.request.get(path)
        tagged = reader.request.get(f"{path}?{JUNK}")
        assert plain.status == 200, (path, plain.status)
        if tagged.status != 200 or CSRF.sub(b"", tagged.body()) != CSRF.sub(b"", plain.body()):
            different.append((path, tagged.status))
    assert not different, f"{len(different)} of {len(pages)} pages differ: {different[:10]}"
