"""Time tokens in a text: `{{time 2012-12-20 06:30-08:30 CET}}` read, then shown in the site
zone and the extra zones on pages, in feeds, mails and posts; never typed conversions."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest
from django.urls import reverse

from actions.demo.loader import DEMO_FILE, load_demo
from incidents.markup import render_markdown
from incidents.models import Maintenance, Post
from incidents.plaintext import markdown_to_text
from incidents.timetokens import TOKEN, TokenError, parse, token_problems
from notifier.models import Notice, NoticeKind
from notifier.notice_text import render_email, short_post
from tests.factories import oslo, schedule_maintenance, utc

DEC_20 = "{{time 2012-12-20 06:30-08:30 CET}}"
DEC_20_OTHERS = "(05:30–07:30 UTC / 00:30–02:30 EST / 21:30–23:30 PST Wed 19 Dec)"
DEC_20_HTML = f'<time datetime="2012-12-20T06:30+01:00">06:30–08:30 CET</time> {DEC_20_OTHERS}'


# Reading a token


@pytest.mark.parametrize(
    ("inner", "start", "end"),
    [
        ("2012-12-20 06:30-08:30 CET", oslo(2012, 12, 20, 6, 30), oslo(2012, 12, 20, 8, 30)),
        ("2012-12-20 06:30 Europe/Oslo", oslo(2012, 12, 20, 6, 30), None),
        ("2012-12-20 05:30 UTC", oslo(2012, 12, 20, 6, 30), None),
        ("2012-12-20  5:30 – 7:30  GMT", oslo(2012, 12, 20, 6, 30), oslo(2012, 12, 20, 8, 30)),
        ("2014-01-09 12:00 EST", oslo(2014, 1, 9, 18, 0), None),
        ("2015-10-12 06:00 CEST", utc(2015, 10, 12, 4, 0), None),
        ("2015-10-11 21:00 America/Los_Angeles", utc(2015, 10, 12, 4, 0), None),
        # Across midnight: the end is on the next day.
        ("2012-12-20 23:30-01:30 CET", oslo(2012, 12, 20, 23, 30), oslo(2012, 12, 21, 1, 30)),
        # The night the clocks go forward: 01:00 CET to 04:00 CEST is two hours.
        ("2015-03-29 01:00-04:00 CET", utc(2015, 3, 29, 0, 0), utc(2015, 3, 29, 2, 0)),
        # The hour that happens twice in October is told apart by its abbreviation.
        ("2015-10-25 02:30 CEST", utc(2015, 10, 25, 0, 30), None),
        ("2015-10-25 02:30 CET", utc(2015, 10, 25, 1, 30), None),
    ],
)
def test_it_reads_a_date_a_time_or_range_and_a_zone(inner, start, end):
    token = parse(inner)

    assert token.start == start
    assert token.end == end


@pytest.mark.parametrize(
    ("inner", "says"),
    [
        ("2012-12-20 6.30 CET", "Write a time as {{time"),
        ("20.12.2012 06:30 CET", "Write a time as {{time"),
        ("2012-12-20 06:30", "Write a time as {{time"),
        ("2012-13-01 06:30 CET", "2012-13-01 is not a date"),
        ("2012-12-20 24:00 CET", "24:00 is not a time of day"),
        ("2012-12-20 06:30-08:75 CET", "08:75 is not a time of day"),
        ("2012-12-20 06:30-06:30 CET", "ends when it starts"),
        ("2012-12-20 06:30 Mars/Olympus_Mons", "is not a time zone"),
        ("2012-12-20 06:30 ../../etc/passwd", "Write a time as"),
        ("2012-12-20 06:30 Europe", "“Europe” is not a time zone"),
        ("2012-12-20 06:30 XYZ", "is not a zone this site knows"),
        # A summer date in winter time (and the other way round) is a typo to point out.
        ("2015-06-01 06:00 CET", "Europe/Oslo is on CEST, not CET"),
        ("2012-12-20 06:30 EDT", "America/New_York is on EST, not EDT"),
        ("2015-03-29 02:30 Europe/Oslo", "02:30 does not exist on 29 Mar 2015"),
        ("2015-03-29 02:30 CET", "02:30 does not exist on 29 Mar 2015"),
        ("2015-10-25 02:30 Europe/Oslo", "happens twice on 25 Oct 2015 in Europe/Oslo"),
    ],
)
def test_it_says_what_is_wrong_with_a_token_that_is_not_a_time(inner, says):
    with pytest.raises(TokenError, match=re.escape(says)):
        parse(inner)


def test_it_names_every_bad_token_in_a_text_and_an_unclosed_one():
    bad = "{{time 2012-12-32 06:30 CET}}"
    text = f"From {DEC_20}, not {bad} nor {{{{time}}}} or {{{{time 06:30"

    problems = token_problems(text)

    assert problems == [
        "{{time 2012-12-32 06:30 CET}}: 2012-12-32 is not a date.",
        "“{{time}} or {{time 06:30” is not a time: write it as "
        "{{time 2012-12-20 06:30-08:30 CET}}.",
        "“{{time 06:30” is not a time: write it as {{time 2012-12-20 06:30-08:30 CET}}.",
    ]
    assert token_problems(f"From {DEC_20}.") == []


def test_finding_tokens_stays_linear_on_hostile_text():
    hostile = "{{time " + "9" * 100_000 + "{{time 2012-12-20 06:30 CET" * 2_000 + "}" * 50_000

    started = time.perf_counter()
    token_problems(hostile)
    list(TOKEN.finditer(hostile))
    markdown_to_text(hostile)

    assert time.perf_counter() - started < 5  # a backtracking pattern would take hours


# Showing it


def test_it_renders_the_time_in_the_site_zone_then_the_extra_zones():
    html = render_markdown(f"**Thursday, December 20 at {DEC_20}**")

    assert html == f"<p><strong>Thursday, December 20 at {DEC_20_HTML}</strong></p>"


def test_plain_text_has_the_same_words_without_tags():
    text = markdown_to_text(f"**Thursday, December 20 at {DEC_20}**")

    assert text == f"Thursday, December 20 at 06:30–08:30 CET {DEC_20_OTHERS}"


def test_a_time_given_in_another_zone_is_shown_in_the_site_zone_with_its_date():
    html = render_markdown("Starts {{time 2012-12-19 23:30 UTC}}.")

    assert '<time datetime="2012-12-20T00:30+01:00">00:30 CET Thu 20 Dec</time>' in html
    assert "(23:30 UTC Wed 19 Dec / 18:30 EST Wed 19 Dec / 15:30 PST Wed 19 Dec)" in html


def test_the_datetime_attribute_is_a_valid_html_date_with_its_offset():
    html = render_markdown("{{time 2015-10-12 06:00 CEST}} and {{time 2012-12-20 06:30 CET}}")

    values = re.findall(r'datetime="([^"]*)"', html)
    assert values == ["2015-10-12T06:00+02:00", "2012-12-20T06:30+01:00"]
    # HTML allows at most three fractional digits of a second; these carry none.
    html_date = r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?[+-]\d\d:\d\d"
    assert all(re.fullmatch(html_date, value) for value in values)


def test_the_words_follow_the_zones_the_site_is_set_to(settings):
    settings.EXTRA_TIME_ZONES = []
    alone = render_markdown(DEC_20)
    settings.EXTRA_TIME_ZONES = ["Asia/Tokyo"]
    tokyo = render_markdown(DEC_20)

    assert alone == '<p><time datetime="2012-12-20T06:30+01:00">06:30–08:30 CET</time></p>'
    assert tokyo.endswith("</time> (14:30–16:30 JST)</p>")


def test_a_malformed_token_and_a_token_in_code_are_left_as_typed():
    html = render_markdown("{{time 2012-12-32 06:30 CET}} and `{{time 2012-12-20 06:30 CET}}`")

    assert "<time" not in html
    assert "{{time 2012-12-32 06:30 CET}}" in html
    assert "<code>{{time 2012-12-20 06:30 CET}}</code>" in html


def test_the_sanitiser_keeps_the_time_element_and_nothing_it_should_not():
    html = render_markdown(
        f'{DEC_20} <time datetime="2012-12-20" onclick="alert(1)" class="x">typed</time>'
        '<span style="color:red">span</span>'
    )

    assert DEC_20_HTML in html
    assert '<time datetime="2012-12-20">typed</time>' in html
    assert "onclick" not in html and "<span" not in html and "class=" not in html


# Everywhere a body is read


@pytest.mark.django_db
def test_pages_feeds_mails_and_posts_show_the_computed_words(client):
    maintenance = schedule_maintenance(
        "Scheduled database replacement and downtime",
        start=oslo(2012, 12, 20, 6, 30),
        end=oslo(2012, 12, 20, 8, 30),
        body=f"**Thursday, December 20 at {DEC_20}**",
    )
    notice = Notice.objects.create(
        kind=NoticeKind.MAINTENANCE_SCHEDULED,
        maintenance=maintenance,
        maintenance_update=maintenance.updates.get(),
    )
    words = f"06:30–08:30 CET {DEC_20_OTHERS}"

    page = client.get(maintenance.get_absolute_url()).content.decode()
    feed = client.get(reverse("feed_atom")).content.decode()
    email = render_email(notice)
    post = short_post(notice, limit=500, link_length=23)

    assert DEC_20_HTML in page
    assert '&lt;time datetime="2012-12-20T06:30+01:00"&gt;06:30–08:30 CET&lt;/time&gt;' in feed
    assert words in email.text and DEC_20_HTML in email.html
    assert words in post
    assert "{{time" not in page + feed + email.text + email.html + post


# The demo


def demo_bodies() -> list[str]:
    data = tomllib.loads(DEMO_FILE.read_text())
    bodies = [post["body"] for post in data["posts"]]
    for incident in data["incidents"]:
        bodies += [update["body"] for update in incident["updates"]]
    for maintenance in data["maintenances"]:
        bodies.append(maintenance.get("body", ""))
        bodies += [event.get("body", "") for event in maintenance.get("events", [])]
    return bodies


def test_the_demo_has_no_typed_conversions_left():
    bodies = demo_bodies()
    untokened = [TOKEN.sub("", body) for body in bodies]

    typed = [
        match[0]
        for body in untokened
        for match in re.finditer(r"\b(GMT|UTC|EST|EDT|PST|PDT|CST|CDT|MST|MDT)\b", body)
    ]
    assert typed == []
    assert sum(len(TOKEN.findall(body)) for body in bodies) == 8
    assert [problem for body in bodies for problem in token_problems(body)] == []


@pytest.mark.django_db
def test_the_demo_s_december_20_notice_shows_its_computed_conversions(client):
    load_demo()
    post = Post.objects.get(slug="server-replacements-and-scheduled-downtime")

    html = client.get(post.get_absolute_url()).content.decode()

    assert DEC_20_HTML in html
    assert "Dec 11 PST" not in html and "9:30-11:30 PM" not in html


LITTLE_DEMO = """
[[maintenances]]
key = "db"
title = "Database replacement"
scheduled_start = 2012-12-20T06:30:00+01:00
scheduled_end = 2012-12-20T08:30:00+01:00
announced_at = 2012-12-17T12:00:00+01:00
body = "On {when}."

  [[maintenances.events]]
  action = "start"
  at = 2012-12-20T06:30:00+01:00
  body = "Started at {when}."

[[posts]]
slug = "database-replacement"
title = "Database replacement"
published_at = 2012-12-17T12:00:00+01:00
maintenance = "db"
body = "Planned for {when}."
"""


@pytest.mark.django_db
def test_loading_the_demo_twice_keeps_one_copy_and_brings_its_texts_up_to_date(tmp_path: Path):
    demo = tmp_path / "demo.toml"
    demo.write_text(LITTLE_DEMO.replace("{when}", "6:30 AM CET (5:30 GMT)"))
    load_demo(demo)
    demo.write_text(LITTLE_DEMO.replace("{when}", DEC_20))

    report = load_demo(demo)
    again = load_demo(demo)

    maintenance = Maintenance.objects.get()
    assert maintenance.body == f"On {DEC_20}."
    assert [u.body for u in maintenance.updates.order_by("posted_at", "id")] == [
        "",
        f"Started at {DEC_20}.",
    ]
    assert Post.objects.get().body == f"Planned for {DEC_20}."
    assert report.texts_updated == 3 and "texts updated: 3" in report.summary()
    assert again.texts_updated == 0 and again.created == {}
