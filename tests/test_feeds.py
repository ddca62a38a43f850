"""The feeds as a feed reader sees them (parsed with feedparser)."""

from __future__ import annotations

import calendar

import feedparser
import pytest

from tests.factories import Site, build_site, make_category, publish_post

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

FEEDS = ["/feed.atom", "/feed.rss", "/blog/category/news/feed.atom", "/blog/category/news/feed.rss"]


@pytest.fixture
def site() -> Site:
    return build_site()


def read(client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def by_title(feed: feedparser.FeedParserDict, start: str) -> feedparser.FeedParserDict:
    (entry,) = [e for e in feed.entries if e.title.startswith(start)]
    return entry


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_parses_cleanly_with_titled_linked_dated_entries(client, site, url):
    feed = read(client, url)

    assert feed.feed.title.startswith("Runbox Status")
    assert feed.entries
    for entry in feed.entries:
        assert entry.title
        assert entry.link.startswith("http://testserver/")
        assert entry.published_parsed
        if url.endswith(".atom"):  # RSS 2.0 items have no updated time, only pubDate
            assert entry.updated_parsed


def test_the_main_feed_has_posts_incidents_and_maintenance(client, site):
    feed = read(client, "/feed.atom")

    assert feed.feed.subtitle == "Incidents, maintenance and news from Runbox Status."
    titles = [e.title for e in feed.entries]
    assert "New spam filter" in titles
    assert "[Resolved] Mail delays on Friday" in titles
    assert "Mail delivery delayed (Resolved)" in titles
    assert "Logins fail (Identified)" in titles
    assert "Storage migration: Thu 12 Jan 2040, 06:30–08:30 CET (Scheduled)" in titles
    assert by_title(feed, "Logins fail").link == f"http://testserver/incidents/{site.active.pk}/"


def test_an_incident_entry_gives_every_update_with_its_time_and_zone(client, site):
    for url in ("/feed.atom", "/feed.rss"):
        entry = by_title(read(client, url), "Mail delivery delayed")

        assert "Fri 25 Jan 2013, 00:45 CET" in entry.summary
        assert "Fri 25 Jan 2013, 00:15 CET" in entry.summary
        assert "All queued mail has been delivered." in entry.summary
        assert "Incoming mail is <strong>queued</strong>." in entry.summary
        assert "Impact: Major." in entry.summary


def test_a_maintenance_entry_gives_the_window_in_every_zone(client, site):
    entry = by_title(read(client, "/feed.atom"), "Storage migration")

    for text in (
        "06:30–08:30 CET",
        "05:30–07:30 UTC",
        "00:30–02:30 EST",
        "21:30–23:30 PST Wed 11 Jan",
    ):
        assert text in entry.summary
    assert [tag.term for tag in entry.tags] == ["Maintenance"]


def test_atom_entries_carry_published_and_updated_times(client, site):
    entry = by_title(read(client, "/feed.atom"), "Mail delivery delayed")

    assert calendar.timegm(entry.published_parsed) == site.resolved.started_at.timestamp()
    site.resolved.refresh_from_db()
    assert calendar.timegm(entry.updated_parsed) == site.resolved.updated_at.timestamp()
    assert [tag.term for tag in entry.tags] == ["Incident", "Major"]


def test_rss_items_carry_the_publication_time(client, site):
    entry = by_title(read(client, "/feed.rss"), "New spam filter")

    assert calendar.timegm(entry.published_parsed) == site.post.published_at.timestamp()
    assert entry.link == "http://testserver/blog/new-spam-filter/"


def test_the_feed_lists_the_most_recently_updated_first(client, site):
    entries = read(client, "/feed.atom").entries

    stamps = [calendar.timegm(e.updated_parsed) for e in entries]
    assert stamps == sorted(stamps, reverse=True)


def test_a_category_feed_has_only_that_categorys_posts(client, site):
    other = make_category("Tips")
    publish_post("Filter your mail", slug="filter-tips", categories=[other])

    news = read(client, "/blog/category/news/feed.atom")
    tips = read(client, "/blog/category/tips/feed.rss")

    assert news.feed.title == "Runbox Status: News"
    assert news.feed.subtitle == "What is new at Runbox."
    assert sorted(e.title for e in news.entries) == [
        "New spam filter",
        "[Resolved] Mail delays on Friday",
    ]
    assert [e.title for e in tips.entries] == ["Filter your mail"]
    assert "How it works: rules." in by_title(news, "New spam filter").summary


def test_the_feed_honours_the_item_limit(client, site, settings):
    settings.FEED_ITEMS = 2

    assert len(read(client, "/feed.atom").entries) == 2
    assert len(read(client, "/blog/category/news/feed.rss").entries) == 2
