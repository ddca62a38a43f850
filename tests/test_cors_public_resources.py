"""Feeds, the calendar and badges are open to any origin like the public API (the Fetch
standard's CORS protocol); the pages with cookies and forms are not."""

from __future__ import annotations

import pytest

from tests.factories import build_site

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "https://intranet.example.org"}


def public_resources(site) -> list[str]:
    return [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        f"/components/{site.imap.pk}/feed.atom",
        f"/components/{site.imap.pk}/feed.rss",
        f"/components/{site.imap.pk}/feed.json",
        "/blog/category/news/feed.atom",
        "/blog/category/news/feed.rss",
        "/blog/category/news/feed.json",
        "/maintenance.ics",
        "/badge.svg",
        f"/components/{site.imap.pk}/badge.svg",
        "/api/v2/summary.json",
    ]


def test_feeds_calendar_and_badges_allow_any_origin_as_the_api_does(client):
    """Fetch standard, CORS protocol: Access-Control-Allow-Origin: * on a public GET."""
    site = build_site()
    for url in public_resources(site):
        for _attempt in ("rendered", "from the page cache"):
            response = client.get(url, **ORIGIN)
            assert response.status_code == 200, url
            assert response["Access-Control-Allow-Origin"] == "*", url
            assert "Set-Cookie" not in response, url


def test_a_preflight_for_a_conditional_get_is_answered(client):
    """CORS preflight (OPTIONS) for a script sending If-None-Match."""
    site = build_site()
    for url in public_resources(site):
        preflight = client.options(
            url,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
            **ORIGIN,
        )
        assert preflight.status_code == 204, url
        assert preflight["Access-Control-Allow-Origin"] == "*", url
        assert "GET" in preflight["Access-Control-Allow-Methods"], url
        assert "If-None-Match" in preflight["Access-Control-Allow-Headers"], url


def test_writes_are_still_refused_and_pages_with_cookies_stay_closed(client):
    build_site()
    assert client.post("/feed.json", **ORIGIN).status_code == 405
    for url in ("/", "/subscribe/", "/staff/login/", "/widget/", "/history/"):
        response = client.get(url, **ORIGIN)
        assert "Access-Control-Allow-Origin" not in response, url
