"""Unknown addresses, bad query strings, wrong methods and hostile markup never cause a 500."""

from __future__ import annotations

import re

import pytest

import actions
from incidents.models import ComponentStatus
from tests.factories import (
    Site,
    build_site,
    make_component,
    oslo,
    publish_post,
    schedule_maintenance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

LISTINGS = ["/history/", "/blog/", "/blog/category/news/", "/blog/tag/spam/"]


@pytest.fixture
def site() -> Site:
    return build_site()


@pytest.fixture
def details(site: Site) -> list[str]:
    return [
        "/",
        f"/incidents/{site.resolved.pk}/",
        f"/maintenance/{site.upcoming.pk}/",
        "/blog/new-spam-filter/",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/999999/",
        "/maintenance/999999/",
        "/blog/no-such-post/",
        "/blog/category/no-such-category/",
        "/blog/tag/no-such-tag/",
        "/blog/category/no-such-category/feed.atom",
        "/blog/category/no-such-category/feed.rss",
        "/incidents/abc/",
        "/no-such-page/",
    ],
)
def test_it_answers_an_unknown_address_with_the_sites_404_page(client, site, url):
    response = client.get(url)

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert "<title>Not found · Runbox Status</title>" in html
    assert 'href="/history/"' in html


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=-1",
        "page=99999999",
        "page=",
        "page=1.5",
        "page=1e3&utm_source=x",
    ],
)
@pytest.mark.parametrize("url", LISTINGS)
def test_it_refuses_a_bad_query_on_a_listing_with_400(client, site, url, query):
    response = client.get(f"{url}?{query}")

    assert response.status_code == 400
    html = response.content.decode()
    assert "That request was not understood" in html
    assert "a whole number from 1 to 999999.</p>" in html  # one full stop, not two


@pytest.mark.parametrize(
    "query", ["page=²", "page=" + "9" * 5000], ids=["superscript-two", "5000-digits"]
)
@pytest.mark.parametrize("url", ["/history/", "/blog/"])
def test_it_refuses_a_page_number_python_reads_as_digits_but_int_cannot(client, site, url, query):
    # "²".isdigit() is True, int("²") raises; so does int() of 5,000 digits.
    response = client.get(f"{url}?{query}")

    assert response.status_code == 400


def test_it_ignores_a_hostile_parameter_name_and_echoes_nothing(client, site):
    response = client.get("/history/?%3Cscript%3Ealert(1)%3C/script%3E=1")

    assert response.status_code == 200
    assert b"alert(1)" not in response.content


@pytest.mark.parametrize("url", LISTINGS)
def test_it_answers_a_page_past_the_end_with_404(client, site, url):
    assert client.get(url).status_code == 200

    response = client.get(f"{url}page/5/")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_an_empty_listing_still_has_a_first_page(client, db):
    assert client.get("/history/").status_code == 200
    assert client.get("/blog/page/2/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_to_change_anything_through_a_public_page(client, details, method):
    for url in [*details, *LISTINGS]:
        response = getattr(client, method)(url)
        assert response.status_code == 405, url
        assert "GET" in response["Allow"]


@pytest.mark.parametrize("url", ["/feed.atom", "/blog/category/news/feed.rss"])
def test_it_refuses_a_post_to_a_feed(client, site, url):
    assert client.post(url).status_code == 405


def test_it_answers_head_requests(client, details):
    for url in details:
        assert client.head(url).status_code == 200, url


# Hostile markup

HOSTILE = "\n\n".join(
    [
        "Fixed <script>alert('script')</script> now.",
        '<img src="x" onerror="alert(\'img\')">',
        "[click me](javascript:alert('md'))",
        "<a href=\"JaVaScRiPt:alert('mixed')\">mixed case</a>",
        "<a href=\"jav&#x61;script:alert('entity')\">entity</a>",
        '<iframe src="https://evil.example/"></iframe>',
        "<p onmouseover=\"alert('hover')\">hover me</p>",
        '<svg onload="alert(\'svg\')"><circle r="1"/></svg>',
        "<style>body { display: none }</style>",
        "[fine link](https://runbox.com/)",
    ]
)


def assert_harmless(html: str) -> None:
    assert "alert(" not in html
    assert not re.search(r"javascript:", html, re.I)
    assert not re.search(r"\son\w+\s*=", html, re.I)
    assert "<iframe" not in html and "<svg" not in html and "<img" not in html
    assert "<style" not in html
    # The only scripts left are the site's own, loaded from its static/ (by a relative link).
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert re.search(r' src="(\.\./)*static/[^"]+"', tag), tag


def hostile_pages(client) -> dict[str, str]:
    imap = make_component("IMAP")
    incident = actions.open_incident(
        title="Logins fail",
        body=HOSTILE,
        impact="critical",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
    )
    work = schedule_maintenance(
        start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30), body=HOSTILE
    )
    actions.start_maintenance(work, body=HOSTILE)
    post = publish_post(slug="hostile", body=HOSTILE)
    urls = [
        "/",
        incident.get_absolute_url(),
        work.get_absolute_url(),
        post.get_absolute_url(),
        "/blog/",
    ]
    return {url: client.get(url).content.decode() for url in urls}


def test_it_renders_hostile_markup_harmless(client, db):
    pages = hostile_pages(client)

    for url, html in pages.items():
        assert_harmless(html)
        assert "Fixed" in html and "now." in html, url
    # What is safe survives: the words, and links to the web.
    incident_page = next(html for url, html in pages.items() if url.startswith("/incidents/"))
    assert "click me</a>" in incident_page
    assert "hover me" in incident_page
    assert 'href="https://runbox.com/"' in incident_page
    assert 'rel="nofollow noopener noreferrer"' in incident_page


def test_it_keeps_hostile_markup_out_of_the_feeds(client, db):
    hostile_pages(client)

    for url in ("/feed.atom", "/feed.rss"):
        xml = client.get(url).content.decode()
        assert "Fixed" in xml
        assert "alert(" not in xml
        assert not re.search(r"javascript:", xml, re.I)
        assert "onerror" not in xml and "iframe" not in xml


def test_it_escapes_markup_in_titles(client, db):
    title = '<img src=x onerror="alert(1)">Logins fail'
    incident = actions.open_incident(title=title, body="Looking into it.", impact="major")

    for url in ("/", incident.get_absolute_url(), "/history/"):
        html = client.get(url).content.decode()
        assert "&lt;img src=x onerror=" in html, url
        assert "<img" not in html, url
