"""Every public page renders what a reader needs, times with their zone.

Query counts: test_page_queries.py. Bad input and hostile markup: test_hostile_input.py.
Feeds read by a feed reader: test_feeds.py.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

import actions
from tests.factories import OSLO, Site, build_site, open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

TIME_ELEMENT = re.compile(r'<time datetime="([^"]+)"[^>]*>([^<]*)</time>')
CLOCK_AND_ZONE = re.compile(r"(\d\d:\d\d)(?:–\d\d:\d\d)? ([A-Z]{3,4})\b")


@pytest.fixture
def site() -> Site:
    return build_site()


def page(client, url: str, **headers: str) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_times_match_their_datetime(html: str) -> int:
    """Check each <time> shows the instant its datetime= names, with its zone; count clocks."""
    checked = 0
    for iso, text in TIME_ELEMENT.findall(html):
        assert iso.endswith("Z"), iso
        local = datetime.fromisoformat(iso).astimezone(OSLO)
        if match := CLOCK_AND_ZONE.search(text):
            assert match.groups() == (f"{local:%H:%M}", local.tzname()), (iso, text)
            checked += 1
        else:
            # A date alone ("Fri 25 Jan 2013") is the date in the site zone.
            assert text.startswith(f"{local:%a} {local.day} {local:%b}"), (iso, text)
    return checked


# The status page


def test_it_shows_the_active_incident_with_its_latest_update(client, site):
    html = page(client, "/")

    assert '<section class="banner status-critical"' in html
    assert "<h1>Major service outage</h1>" in html
    assert "<title>Major service outage · Runbox Status</title>" in html
    active = html.split('id="active-incidents"')[1].split("</section>")[0]
    assert "Logins fail" in active
    assert "<strong>Identified</strong>" in active
    assert "A certificate expired; we are renewing it." in active
    assert "Users cannot log in." not in active
    assert "Critical impact" in active
    assert "Mail delivery delayed" not in active


def test_it_shows_components_grouped_with_their_status(client, site):
    html = page(client, "/")

    def row(name: str, status: str, label: str) -> str:
        return (
            rf'<span class="component-name"><a href="components/[0-9]+/">{name}</a>'
            rf"(<small>[^<]*</small>)?</span>\s*"
            rf'<span class="pill component-{status}">{label}</span>'
        )

    assert '<section class="component-group" aria-label="Mail">' in html
    assert re.search(row("IMAP", "major_outage", "Major outage"), html)
    assert re.search(row("SMTP", "operational", "Operational"), html)
    assert re.search(row("Webmail", "under_maintenance", "Under maintenance"), html)
    assert "<small>Mail in the browser</small>" in html


def test_it_shows_maintenance_in_progress_and_upcoming_with_the_extra_zones(client, site):
    html = page(client, "/")

    now = html.split('id="maintenance-now"')[1].split("</section>")[0]
    assert "Webmail upgrade" in now and "In progress" in now
    upcoming = html.split('id="maintenance-upcoming"')[1].split("</section>")[0]
    assert "Storage migration" in upcoming
    assert (
        '<time datetime="2040-01-12T05:30:00Z">Thu 12 Jan 2040, 06:30–08:30 CET</time>' in upcoming
    )
    for text in ("05:30–07:30 UTC", "00:30–02:30 EST", "21:30–23:30 PST Wed 11 Jan"):
        assert f"<span>{text}</span>" in upcoming


def test_it_shows_the_past_week_and_latest_notices(client, site):
    html = page(client, "/")

    recent = html.split('id="recent"')[1].split("</section>")[0]
    assert recent.count("<h3>") == 7
    assert "Logins fail" in recent
    assert "Mail delivery delayed" not in recent  # 2013 is not last week
    assert "[Resolved] Mail delays on Friday" in html


def test_it_shows_when_the_status_page_was_updated_with_a_zone(client, site):
    html = page(client, "/")

    stamp = r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d CES?T"
    assert re.search(rf'Updated <time datetime="[^"]+Z" data-local>{stamp}</time>', html)
    assert re.search(rf'Last change: <time datetime="[^"]+Z" data-local>{stamp}</time>', html)
    assert assert_times_match_their_datetime(html) >= 3


def test_it_says_all_is_well_when_it_is(client):
    html = page(client, "/")

    assert '<section class="banner status-none"' in html
    assert "All systems operational" in html
    assert "No services are listed yet." in html


def test_it_sends_only_the_partial_to_htmx(client, site):
    response = client.get("/", HTTP_HX_REQUEST="true")
    html = response.content.decode()

    assert response.status_code == 200
    assert html.startswith('<div id="status-body"')
    assert "<html" not in html and "<head" not in html and "site-footer" not in html
    assert "Major service outage" in html and "Logins fail" in html
    assert "HX-Request" in response["Vary"]


# Details


def test_it_shows_an_incident_with_its_timeline(client, site):
    html = page(client, f"/incidents/{site.resolved.pk}/")

    assert "<h1>Mail delivery delayed</h1>" in html
    assert "incident-resolved" in html
    assert (
        '<time datetime="2013-01-24T23:45:00Z" data-local>Fri 25 Jan 2013, 00:45 CET</time>' in html
    )
    assert (
        '<time datetime="2013-01-24T23:15:00Z" data-local>Fri 25 Jan 2013, 00:15 CET</time>' in html
    )
    assert "(after 30 min)" in html
    assert re.search(
        r'<a href="../../components/[0-9]+/">SMTP</a> '
        r'<span class="quiet">\(partial outage\)</span>',
        html,
    )
    assert "Incoming mail is <strong>queued</strong>." in html
    assert "<li>SMTP: partial outage</li>" in html and "<li>SMTP: operational</li>" in html
    assert html.index("All queued mail") < html.index("Incoming mail")  # newest first
    assert 'href="../../blog/mail-delays/">[Resolved] Mail delays on Friday</a>' in html
    assert "Updated <time" in html
    assert assert_times_match_their_datetime(html) == 5  # started, resolved, 2 updates, footer


def test_it_shows_maintenance_with_its_window_in_every_zone(client, site):
    html = page(client, f"/maintenance/{site.upcoming.pk}/")

    assert "<h1>Storage migration</h1>" in html
    assert "Thu 12 Jan 2040, 06:30–08:30 CET" in html
    assert "<span>21:30–23:30 PST Wed 11 Jan</span>" in html
    assert "<dt>Affects</dt><dd>IMAP</dd>" in html
    assert "Earlier windows" not in html
    assert "Updated <time" in html
    assert_times_match_their_datetime(html)


def test_it_lists_earlier_windows_of_rescheduled_maintenance(client, site):
    work = schedule_maintenance(start=oslo(2040, 3, 1, 6, 0), end=oslo(2040, 3, 1, 7, 0))
    actions.reschedule_maintenance(
        work,
        scheduled_start=oslo(2040, 4, 1, 6, 0),
        scheduled_end=oslo(2040, 4, 1, 7, 0),
        body="Moved by a month.",
    )

    html = page(client, f"/maintenance/{work.pk}/")

    earlier = html.split("<dt>Earlier windows</dt>")[1].split("</dl>")[0]
    assert "Thu 1 Mar 2040, 06:00–07:00 CET" in earlier
    assert "Sun 1 Apr 2040, 06:00–07:00 CEST" in html.split("<dt>Earlier windows</dt>")[0]
    assert "Moved by a month." in html


def test_it_shows_the_work_in_progress_with_its_start(client, site):
    html = page(client, f"/maintenance/{site.working.pk}/")

    assert "<dt>Started</dt>" in html
    assert "maintenance-in_progress" in html
    assert "The maintenance has started." in html
    assert_times_match_their_datetime(html)


# History and blog


def test_it_lists_incidents_and_maintenance_by_month(client, site):
    html = page(client, "/history/")

    assert '<h2 id="month-1">January 2040</h2>' in html
    assert "<h2" in html and "January 2013</h2>" in html
    assert html.index("Storage migration") < html.index("Logins fail") < html.index("Mail delivery")
    assert "lasted 30 min" in html
    assert "Maintenance: in progress" in html
    assert "Updated <time" in html
    assert assert_times_match_their_datetime(html) >= 4


def test_it_lists_posts_with_excerpts(client, site):
    html = page(client, "/blog/")

    assert "We have a <strong>new</strong> filter." in html
    assert "How it works" not in html
    assert 'aria-label="Continue reading New spam filter"' in html
    assert '<span class="label">[Resolved]</span> Mail delays on Friday' in html
    assert html.index("Mail delays on Friday") < html.index("New spam filter")
    assert '<a href="category/news/">News</a>' in html
    assert "Updated <time" in html
    assert_times_match_their_datetime(html)


def test_it_shows_a_whole_post(client, site):
    html = page(client, "/blog/new-spam-filter/")

    assert "<h1>New spam filter</h1>" in html
    assert "How it works: rules." in html and "<!--more-->" not in html
    assert 'Published in <a href="../category/news/">News</a>' in html
    assert 'Tags: <a href="../tag/spam/">Spam</a>' in html
    assert '<time datetime="2013-01-25T08:00:00Z" data-local>Fri 25 Jan 2013</time>' in html
    assert "Updated <time" in html


def test_it_links_a_post_to_its_incident(client, site):
    html = page(client, "/blog/mail-delays/")

    assert (
        f'the incident <a href="../../incidents/{site.resolved.pk}/">Mail delivery delayed</a>'
        in html
    )
    assert "<title>[Resolved] Mail delays on Friday · Runbox Status</title>" in html


def test_it_lists_the_posts_of_a_category_with_its_feeds(client, site):
    html = page(client, "/blog/category/news/")

    assert "<h1>News</h1>" in html
    assert "What is new at Runbox." in html
    assert "New spam filter" in html and "Mail delays on Friday" in html
    # Links are relative to the page, so the static mirror works under any prefix.
    assert 'href="feed.atom"' in html
    assert 'href="feed.rss"' in html
    assert 'aria-current="page">News</a>' in html
    assert "Updated <time" in html


def test_it_lists_the_posts_with_a_tag(client, site):
    html = page(client, "/blog/tag/spam/")

    assert "<h1>Tagged “Spam”</h1>" in html
    assert "New spam filter" in html
    assert "Mail delays on Friday" not in html
    assert "Updated <time" in html


def test_it_keeps_unpublished_posts_off_the_blog(client, site):
    actions.publish_post(
        title="Not yet", slug="not-yet", body="Soon.", published_at=oslo(2100, 1, 1, 0, 0)
    )

    assert "Not yet" not in page(client, "/blog/")
    assert client.get("/blog/not-yet/").status_code == 404


def test_it_paginates_the_history_from_the_oldest(client, site, settings):
    """The front page shows the newest; numbered pages, counted from the oldest, stay put."""
    settings.HISTORY_PAGE_SIZE = 2
    for day in (1, 2):
        open_incident(f"Old outage {day}", at=oslo(2012, 3, day, 9, 0))
    # Six items: the front shows the newest two, page 2 the next two, page 1 the oldest two.
    front, second, first = (page(client, f"/history/{p}") for p in ("", "page/2/", "page/1/"))

    assert "Storage migration" in front and "Mail delivery delayed" not in front
    assert 'rel="next" href="page/2/"' in front and 'rel="prev"' not in front
    assert "Page 2, counted from the oldest" in second
    assert 'rel="prev" href="../../"' in second and 'rel="next" href="../1/"' in second
    assert "Old outage 1" in first and "Old outage 2" in first and "Mail delivery" not in first
    assert "Mail delivery delayed" in second
    assert 'rel="prev" href="../2/"' in first and 'rel="next"' not in first
    assert client.get("/history/page/3/").status_code == 404
    assert client.get("/history/page/0/").status_code == 404

    open_incident("Newest outage")

    # The front page grows to up to two pages' worth; the full pages behind it never change.
    assert "Newest outage" in page(client, "/history/")
    assert page(client, "/history/page/1/") == first
    assert page(client, "/history/page/2/") == second
    open_incident("Newer still")
    assert "Newest outage" in page(client, "/history/page/3/")
    assert page(client, "/history/page/1/") == first
    assert 'rel="prev" href="../3/"' in page(client, "/history/page/2/")


def test_a_page_number_in_the_query_moves_to_its_path(client, site, settings):
    settings.HISTORY_PAGE_SIZE = 1
    moved = client.get("/history/?page=2")  # counted from the front, as a reader counts
    assert moved.status_code == 302 and moved["Location"] == "/history/page/3/"
    assert client.get("/blog/?page=1")["Location"] == "/blog/"
    assert client.get("/blog/page/1/")["Location"] == "/blog/"


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/feed.atom", "application/atom+xml"),
        ("/feed.rss", "application/rss+xml"),
        ("/blog/category/news/feed.atom", "application/atom+xml"),
        ("/blog/category/news/feed.rss", "application/rss+xml"),
    ],
)
def test_it_serves_the_feeds(client, site, url, content_type):
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "New spam filter" in response.content.decode()


def test_the_site_time_zone_setting_changes_every_page(client, site, settings):
    settings.SITE_TIME_ZONE = "America/New_York"

    html = page(client, f"/incidents/{site.resolved.pk}/")

    assert "Thu 24 Jan 2013, 18:45 EST" in html
    assert "CET" not in html.split("<main")[1]


def test_every_link_to_the_site_is_relative_so_the_mirror_works_under_any_prefix(client, site):
    for url in [
        "/",
        "/history/",
        "/blog/",
        "/blog/new-spam-filter/",
        f"/incidents/{site.active.pk}/",
    ]:
        html = page(client, url)
        assert not re.search(r'\s(?:href|src|action|data-hx-get)="/(?!/)', html), url
