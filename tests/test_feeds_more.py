"""JSON Feed 1.1 beside Atom and RSS, and feeds per component, as feed readers see them."""

from __future__ import annotations

import json
import re

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import actions
from incidents.models import ComponentStatus
from tests.factories import Site, build_site, make_component, open_incident, oslo

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

# RFC 3339 with an explicit offset: "2013-01-25T00:45:00+01:00".
ZONED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


@pytest.fixture
def site() -> Site:
    return build_site()


def feed_urls(site: Site) -> list[str]:
    base = [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/blog/category/news/feed.atom",
        "/blog/category/news/feed.rss",
        "/blog/category/news/feed.json",
    ]
    per_component = [
        f"/components/{c.pk}/feed.{kind}"
        for c in (site.imap, site.smtp)
        for kind in ("atom", "rss", "json")
    ]
    return base + per_component


def read(client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return parsed


def read_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    return json.loads(response.content)


def test_every_xml_feed_parses_cleanly_with_titled_linked_dated_entries(client, site):
    # feedparser 6.0 reads Atom and RSS; the JSON feeds are checked field by field below.
    for url in [u for u in feed_urls(site) if not u.endswith(".json")]:
        feed = read(client, url)

        assert feed.feed.title.startswith("Runbox Status"), url
        assert feed.entries, url
        for entry in feed.entries:
            assert entry.title and entry.published_parsed, url
            assert entry.link.startswith("http://testserver/"), url


def test_every_json_feed_has_what_json_feed_1_1_requires(client, site):
    for url in [u for u in feed_urls(site) if u.endswith(".json")]:
        feed = read_json(client, url)

        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["title"].startswith("Runbox Status")
        assert feed["home_page_url"].startswith("http://testserver/")
        assert feed["feed_url"] == f"http://testserver{url}"
        assert feed["items"]
        for item in feed["items"]:
            assert item["id"] and item["url"].startswith("http://testserver/")
            assert item["content_html"]
            assert ZONED.match(item["date_published"]), item["date_published"]
            assert ZONED.match(item["date_modified"]), item["date_modified"]


def test_json_feed_times_carry_the_site_zone_and_the_entries_the_zoned_update_times(client, site):
    feed = read_json(client, "/feed.json")
    (delayed,) = [i for i in feed["items"] if i["title"].startswith("Mail delivery delayed")]

    assert delayed["date_published"] == "2013-01-25T00:15:00+01:00"
    assert delayed["date_modified"] == "2013-01-25T00:45:00+01:00"
    assert "Fri 25 Jan 2013, 00:45 CET" in delayed["content_html"]
    assert delayed["url"] == f"http://testserver/incidents/{site.resolved.pk}/"
    assert delayed["tags"] == ["Incident", "Major"]


def test_the_main_json_feed_has_the_same_entries_as_the_atom_feed(client, site):
    atom = [e.link for e in read(client, "/feed.atom").entries]
    json_feed = [i["url"] for i in read_json(client, "/feed.json")["items"]]

    assert json_feed == atom


def test_a_component_feed_has_only_what_affected_that_component(client, site):
    imap = {
        e.title.split(" (")[0].split(":")[0]
        for e in read(client, f"/components/{site.imap.pk}/feed.atom").entries
    }
    smtp = {
        e.title.split(" (")[0].split(":")[0]
        for e in read(client, f"/components/{site.smtp.pk}/feed.atom").entries
    }

    assert imap == {"Logins fail", "Storage migration"}
    assert smtp == {"Mail delivery delayed"}
    assert read(client, f"/components/{site.imap.pk}/feed.atom").feed.title == "Runbox Status: IMAP"


def test_a_component_with_no_history_has_an_empty_valid_feed(client):
    quiet = make_component("Payments")

    assert read(client, f"/components/{quiet.pk}/feed.atom").entries == []
    assert read_json(client, f"/components/{quiet.pk}/feed.json")["items"] == []


def test_an_unknown_component_or_category_is_404(client):
    assert client.get("/components/999/feed.atom").status_code == 404
    assert client.get("/components/999/feed.json").status_code == 404
    assert client.get("/blog/category/nothing/feed.json").status_code == 404


def test_a_new_update_shows_in_the_component_feed_at_once(client, site):
    read_json(client, f"/components/{site.imap.pk}/feed.json")

    actions.post_incident_update(
        site.active, status="monitoring", body="The new certificate is live."
    )

    feed = read_json(client, f"/components/{site.imap.pk}/feed.json")
    assert any("The new certificate is live." in i["content_html"] for i in feed["items"])


def test_a_component_feed_costs_a_fixed_number_of_queries(client):
    imap = make_component("IMAP")
    open_incident(components={imap: ComponentStatus.MAJOR_OUTAGE}, at=oslo(2013, 1, 25, 0, 15))
    with CaptureQueriesContext(connection) as few:
        client.get(f"/components/{imap.pk}/feed.json")
    for n in range(8):
        open_incident(f"More {n}", components={imap: ComponentStatus.PARTIAL_OUTAGE})

    with CaptureQueriesContext(connection) as many:
        client.get(f"/components/{imap.pk}/feed.atom")

    assert len(many.captured_queries) == len(few.captured_queries)
