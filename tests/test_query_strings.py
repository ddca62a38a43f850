"""Shared links carry query strings (?utm_source=, ?fbclid=): every public page ignores them.

The page is the same bytes from the same cache entry, so a newsletter's link
during an outage neither errors nor bypasses the cache; the parameters a page
reads (?page= on the listings) keep working.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifier.mirror.render import render_pages
from tests.factories import Site, build_site

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

JUNK = ["utm_source=newsletter", "fbclid=abc", "utm_source=x&utm_medium=email&_=1700000000"]


@pytest.fixture
def site(settings) -> Site:
    settings.HISTORY_PAGE_SIZE = 1  # four items: the front page and numbered pages 1 to 3
    settings.BLOG_PAGE_SIZE = 1
    return build_site()


def public_pages(site: Site) -> list[str]:
    return [
        "/",
        f"/incidents/{site.active.pk}/",
        f"/maintenance/{site.upcoming.pk}/",
        "/history/",
        "/history/page/1/",
        "/blog/",
        "/blog/page/2/",
        f"/blog/{site.post.slug}/",
        f"/blog/category/{site.news.slug}/",
        f"/blog/tag/{site.spam.slug}/",
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        f"/blog/category/{site.news.slug}/feed.atom",
        f"/components/{site.imap.pk}/feed.json",
        "/maintenance.ics",
        "/badge.svg",
        f"/components/{site.imap.pk}/badge.svg",
        "/widget/",
        "/api/v2/summary.json",
        "/api/v2/incidents/unresolved.json",
    ]


def test_every_public_page_ignores_unknown_parameters_and_serves_its_cached_copy(client, site):
    for url in public_pages(site):
        plain = client.get(url)
        assert plain.status_code == 200, url

        for junk in JUNK:
            with CaptureQueriesContext(connection) as captured:
                shared = client.get(f"{url}?{junk}")
            assert shared.status_code == 200, f"{url}?{junk}"
            assert shared.content == plain.content, f"{url}?{junk}"
            assert shared["Content-Type"] == plain["Content-Type"]
            # The publication token only: the page came from the plain address's cache entry.
            assert len(captured.captured_queries) == 1, f"{url}?{junk}"


def test_a_first_visit_with_junk_fills_the_entry_the_plain_address_uses(client, site):
    url = f"/incidents/{site.active.pk}/"
    shared = client.get(f"{url}?fbclid=abc")

    with CaptureQueriesContext(connection) as captured:
        plain = client.get(url)

    assert plain.content == shared.content
    assert len(captured.captured_queries) == 1


def test_a_page_number_on_a_page_without_pages_is_ignored_too(client, site):
    url = f"/blog/{site.post.slug}/"
    plain = client.get(url)

    for query in ["page=1", "page=abc", "page=1&x=1"]:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, query
        assert response.content == plain.content


def test_the_mirror_writes_the_bytes_a_reader_with_a_shared_link_gets(client, site):
    url = f"/incidents/{site.active.pk}/"
    (mirrored,) = render_pages([url])

    assert client.get(f"{url}?utm_source=newsletter").content == mirrored.body


def test_a_listing_still_moves_to_the_page_in_its_query_whatever_else_it_carries(client, site):
    moved = client.get("/blog/?utm_source=x&page=2")
    assert moved.status_code == 301 and moved["Location"] == "/blog/page/2/"
    assert client.get("/blog/page/2/?page=1&fbclid=y")["Location"] == "/blog/"
    assert client.get("/blog/?page=abc&utm_source=x").status_code == 400


def test_a_page_number_and_its_absence_are_cached_apart(client, site):
    assert client.get("/blog/").status_code == 200

    assert client.get("/blog/?page=2").status_code == 301


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("page=1", "/history/"),  # the front page, as a reader counts
        ("page=2", "/history/page/3/"),  # where the front page's "Older" link leads
        ("page=4", "/history/page/1/"),  # the oldest
        ("page=2&utm_source=x", "/history/page/3/"),
    ],
)
def test_a_history_page_number_counts_pages_from_the_front(client, site, query, location):
    front = client.get("/history/").content.decode()
    assert 'rel="next" href="page/3/"' in front

    moved = client.get(f"/history/?{query}")

    assert moved.status_code == 302  # which page is Nth from the front changes as items come
    assert moved["Location"] == location
    assert client.get(location).status_code == 200


def test_history_page_1_lands_on_the_front_page_while_the_history_is_short(client, site, settings):
    settings.HISTORY_PAGE_SIZE = 25  # everything fits on the front: there is no /history/page/1/
    assert client.get("/history/page/1/").status_code == 404

    moved = client.get("/history/?page=1")

    assert moved["Location"] == "/history/"
    assert client.get("/history/?page=2").status_code == 404


def test_a_history_page_counted_past_the_oldest_is_not_found(client, site):
    assert client.get("/history/?page=5").status_code == 404


def test_unique_junk_on_the_busiest_addresses_renders_once_and_stores_one_entry(client, site):
    """A flood of ?cb=<random> on the feed, the widget and the badges: no render, no growth."""
    pages = caches["pages"]
    pages.clear()
    busiest = ["/feed.atom", "/widget/", "/badge.svg", f"/components/{site.imap.pk}/feed.atom"]
    for url in busiest:
        assert client.get(url).status_code == 200
    entries = len(pages._cache)

    with CaptureQueriesContext(connection) as captured:
        for n in range(100):
            for url in busiest:
                assert client.get(f"{url}?cb={n}&x{n}=1").status_code == 200
    assert len(captured.captured_queries) == 100 * len(busiest)  # the publication token only
    assert len(pages._cache) == entries


@pytest.mark.parametrize(
    ("spelt", "canonical"),
    [
        ("/incidents/0{active}/", "/incidents/{active}/"),
        ("/incidents/000{active}/?utm_source=x", "/incidents/{active}/"),
        ("/components/00{imap}/feed.atom", "/components/{imap}/feed.atom"),
        ("/components/0{imap}/badge.svg?cb=1", "/components/{imap}/badge.svg"),
        ("/history/page/01/", "/history/page/1/"),
        ("/blog/page/002/?page=3", "/blog/page/2/?page=3"),
    ],
)
def test_a_number_spelt_with_leading_zeros_is_sent_to_its_one_address(
    client, site, spelt, canonical
):
    ids = {"active": site.active.pk, "imap": site.imap.pk}
    pages = caches["pages"]
    pages.clear()

    moved = client.get(spelt.format(**ids))

    assert moved.status_code == 301 and moved["Location"] == canonical.format(**ids)
    assert len(pages._cache) == 0  # the spelling got no entry of its own


def test_unknown_ids_leave_nothing_behind(client, site):
    from incidents.page_cache import _render_locks

    for n in range(50):
        assert client.get(f"/incidents/{10_000 + n}/").status_code == 404
        assert client.get(f"/components/{10_000 + n}/feed.atom").status_code == 404
    assert _render_locks == {}
    assert len(caches["pages"]._cache) == 0
