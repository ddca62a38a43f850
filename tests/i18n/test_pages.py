"""The public pages under /nb/ speak Norwegian, and the English pages at / are unchanged.

Each page is read as a reader sees it: the Norwegian phrases are there and none of the
English interface phrases marked for translation is left (titles and bodies written by
staff stay as written). Numbers that go into attributes stay in the dot form.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import timezone, translation

import actions
from tests.factories import (
    Site,
    build_site,
    make_component,
    make_probe_hours,
    oslo,
    schedule_maintenance,
)

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def site() -> Site:
    return build_site()


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def text(html: str) -> str:
    """What a reader reads: no tags, no style or script, whitespace squeezed."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_norwegian(html: str, *present: str, absent: tuple[str, ...] = ()) -> None:
    read = text(html)
    for phrase in present:
        assert phrase in read, phrase
    for phrase in absent:
        assert phrase not in read, phrase


# English interface phrases of the page frame and the status words, never on a /nb/ page.
EVERYWHERE = (
    "Skip to content",
    "Follow along",
    "Operational",
    "Major outage",
    "Partial outage",
    "Investigating",
    "Identified",
    "Resolved",
    "In progress",
    "Scheduled maintenance",
    "Updated ",
)


def test_the_status_page(client, site):
    html = page(client, "/nb/")

    assert '<html lang="nb"' in html
    assert "<h1>Omfattende driftsstans</h1>" in html
    assert "<title>Omfattende driftsstans · Runbox Status</title>" in html
    assert_norwegian(
        html,
        "Pågående hendelser",
        "Årsaken er funnet",
        "Kritisk påvirkning",
        "Vedlikehold pågår",
        "Planlagt vedlikehold",
        "Berører IMAP",
        "Tjenester",
        "I drift",
        "Nede",
        "Under vedlikehold",
        "oppetid de siste 90 dagene",
        "(det dårligste i gruppen)",
        "90 dager siden",
        "I dag",
        "Slik regner vi oppetid",
        "Siste 7 dager",
        "Ingen hendelser rapportert.",
        "Historikk for hendelser og vedlikehold",
        "Siste meldinger",
        "Sist endret:",
        absent=(
            *EVERYWHERE,
            "Major service outage",
            "Active incidents",
            "Maintenance in progress",
            "Services",
            "uptime over the last",
            "days ago",
            "Today",
            "How we count uptime",
            "No incidents reported",
            "Latest notices",
            "Last change",
            "with incidents or lost uptime",
            "impact",
        ),
    )


@pytest.mark.parametrize("english_first", [True, False])
def test_the_uptime_bars_speak_norwegian_in_their_tooltips(client, site, english_first):
    # The day texts are memoised across requests: each language keeps its own.
    if english_first:
        page(client, "/")
    html = page(client, "/nb/")

    titles = re.findall(r'<(?:span|a) [^>]*title="([^"]*)"', html)
    assert titles
    assert any("100\u00a0% oppetid" in title for title in titles)
    assert not any("uptime" in title or "no data" in title for title in titles)
    # The bars the English page wrote first are not served to the Norwegian reader.
    english = page(client, "/")
    assert "100% uptime" in english
    assert "oppetid" not in text(english)


def test_the_english_status_page_is_unchanged(client, site):
    html = page(client, "/")

    assert '<html lang="en"' in html
    assert "<h1>Major service outage</h1>" in html
    for phrase in (
        "Active incidents",
        "Critical impact",
        "Scheduled maintenance",
        "Services",
        "uptime over the last 90 days",
        "How we count uptime",
        "Past 7 days",
    ):
        assert phrase in text(html), phrase
    assert "Pågående" not in html


def test_an_incident(client, site):
    html = page(client, f"/nb/incidents/{site.resolved.pk}/")

    assert_norwegian(
        html,
        "Historikk › Hendelse",
        "Påvirkning",
        "Større",
        "Startet",
        "Løst",
        "(etter 30 min)",
        "Berørt",
        "(delvis nede)",
        "Oppdateringer",
        "SMTP: i drift",
        "Relaterte innlegg",
        "[Løst] Mail delays on Friday",
        absent=(*EVERYWHERE, "Impact", "Started", "Affected", "Updates", "Related posts"),
    )


def test_a_rescheduled_maintenance(client):
    maintenance = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30))
    actions.reschedule_maintenance(
        maintenance,
        scheduled_start=oslo(2040, 1, 19, 6, 30),
        scheduled_end=oslo(2040, 1, 19, 8, 30),
        body="A week later.",
    )

    html = page(client, f"/nb/maintenance/{maintenance.pk}/")

    assert_norwegian(
        html,
        "Historikk › Vedlikehold",
        "Flyttet",
        "Gjeldende vindu",
        "Tidligere vinduer",
        "Erstattet:",
        "Opprinnelig kunngjøring",
        "arbeidet ble flyttet til",
        "Tidene nedenfor gjelder ikke lenger.",
        absent=(
            *EVERYWHERE,
            "Rescheduled",
            "Current window",
            "Earlier windows",
            "Superseded",
            "Original announcement",
            "no longer apply",
        ),
    )


def test_the_history(client, site):
    html = page(client, "/nb/history/")

    assert_norwegian(
        html,
        "Historikk for hendelser og vedlikehold",
        "Vedlikehold: planlagt",
        "Vedlikehold: pågår",
        "Større påvirkning",
        ", varte 30 min",
        absent=(*EVERYWHERE, "Maintenance:", "impact", "lasted", "Incident and maintenance"),
    )


def test_the_blog_index_and_a_tag(client, site):
    html = page(client, "/nb/blog/")
    assert "<title>Blogg · Runbox Status</title>" in html
    assert_norwegian(
        html,
        "Publisert i News",
        "Stikkord: Spam",
        "Les mer →",
        "[Løst] Mail delays on Friday",
        absent=(*EVERYWHERE, "Published in", "Tags:", "Continue reading", "No posts yet"),
    )
    assert 'aria-label="Les mer: New spam filter"' in html
    assert 'aria-label="Kategorier"' in html

    tagged = page(client, "/nb/blog/tag/spam/")
    # The tag's name is not translated: shown as written, marked as English.
    assert '<h1>Innlegg med stikkordet «<span lang="en">Spam</span>»</h1>' in tagged


def test_a_post(client, site):
    html = page(client, "/nb/blog/mail-delays/")

    assert_norwegian(
        html,
        "Dette innlegget handler om hendelsen Mail delivery delayed .",
        absent=(*EVERYWHERE, "This post is about"),
    )
    assert re.search(rf'handler om hendelsen <a href="[./]*incidents/{site.resolved.pk}/">', html)


def test_a_component_page(client, site):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    make_probe_hours(site.imap, [(hour - timedelta(hours=h), 1234.5, 2500.25) for h in (1, 2)])
    html = page(client, f"/nb/components/{site.imap.pk}/")

    assert_norwegian(
        html,
        "Status › Mail",
        "Status nå",
        "Oppetid, 30 dager",
        "Følg",
        "JSON-strøm",
        "De siste 90 dagene",
        "Nylige hendelser",
        "Kritisk påvirkning",
        "Vedlikehold",
        "Svartider",
        "De siste 48 timene",
        "kontroller feilet",
        "heltrukken linje: median",
        "De samme tallene som tabell",
        "95-persentil",
        absent=(
            *EVERYWHERE,
            "Status now",
            "Uptime,",
            "Recent incidents",
            "Response times",
            "Over the last 48 hours",
            "checks failed",
            "The same figures",
            "solid line",
            "Median and 95th",
        ),
    )
    assert "<strong>1\u00a0234 ms</strong>" in html  # Norwegian digit grouping
    # The chart's coordinates keep the dot whatever the language.
    chart = re.search(r'<svg class="response-chart".*?</svg>', html, flags=re.S)
    assert chart is not None
    assert "Svartider for" in chart.group(0)
    for points in re.findall(r'points="([^"]*)"', chart.group(0)):
        assert re.fullmatch(r"[0-9., ]+", points) and ",," not in points, points


def test_a_component_without_probes_or_history(client):
    component = make_component("Calendar")
    html = page(client, f"/nb/components/{component.pk}/")

    assert_norwegian(
        html,
        "Ingen hendelser har berørt Calendar.",
        "Det er ikke planlagt noe vedlikehold for Calendar.",
        "Vi overvåker ikke Calendar utenfra ennå.",
        absent=("No incidents have", "No maintenance has", "We do not watch"),
    )


def test_the_widget(client, site):
    html = page(client, "/nb/widget/")

    assert '<html lang="nb"' in html
    assert_norwegian(
        html,
        "Runbox Status: Omfattende driftsstans",
        "(årsaken er funnet)",
        "(vedlikehold pågår)",
        "(planlagt",
        "Oppdatert",
        absent=("Major service outage", "maintenance in progress", "(scheduled", "Updated"),
    )


def test_the_badges_speak_norwegian_and_stay_valid_svg(client, site):
    overall = page(client, "/nb/badge.svg")
    component = page(client, f"/nb/components/{site.smtp.pk}/badge.svg")

    assert 'aria-label="Runbox Status: Omfattende driftsstans"' in overall
    assert "<title>SMTP: I drift</title>" in component
    for svg in (overall, component):
        root = ET.fromstring(svg)  # well-formed
        width = int(root.get("width", ""))
        boxes = [int(r.get("width", "0")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
        assert boxes[0] == width == boxes[1] + boxes[2]
        for node in root.iter("{http://www.w3.org/2000/svg}text"):
            float(node.get("x", ""))  # "45.5", never "45,5"
    # The box grows with the longer Norwegian words.
    english = page(client, "/badge.svg")
    assert int(ET.fromstring(overall).get("width", "")) > int(
        ET.fromstring(english).get("width", "")
    )
    assert "Major service outage" in english


def test_the_feeds(client, site):
    atom = page(client, "/nb/feed.atom")
    rss = page(client, "/nb/feed.rss")
    feed = json.loads(page(client, "/nb/feed.json"))

    assert 'xml:lang="nb"' in atom
    assert "<subtitle>Hendelser, vedlikehold og nyheter fra Runbox Status.</subtitle>" in atom
    assert "<title>Logins fail (Årsaken er funnet)</title>" in atom
    assert '<category term="Hendelse"/>' in atom
    assert '<category term="Vedlikehold"/>' in atom
    assert "Påvirkning: Større. Startet" in atom
    assert ", løst " in atom
    for english in (
        "(Identified)",
        "Impact:",
        'term="Incident"',
        'term="Maintenance"',
        "(Scheduled)",
    ):
        assert english not in atom, english
    assert "<description>Hendelser, vedlikehold og nyheter fra Runbox Status.</description>" in rss
    assert feed["language"] == "nb"
    assert feed["description"] == "Hendelser, vedlikehold og nyheter fra Runbox Status."
    assert any(item["title"] == "Logins fail (Årsaken er funnet)" for item in feed["items"])

    component = page(client, f"/nb/components/{site.imap.pk}/feed.atom")
    assert "Hendelser og vedlikehold som berører IMAP." in component


def test_the_feeds_in_english_are_not_served_the_norwegian_entries(client, site):
    page(client, "/nb/feed.atom")
    english = page(client, "/feed.atom")

    assert "<title>Logins fail (Identified)</title>" in english
    assert '<category term="Incident"/>' in english
    assert "Årsaken" not in english


def test_the_maintenance_calendar(client, site):
    ics = page(client, "/nb/maintenance.ics").replace("\r\n ", "")

    assert "X-WR-CALNAME:Runbox Status: vedlikehold" in ics
    assert "CATEGORIES:Vedlikehold" in ics
    assert "Berører: IMAP." in ics
    assert "Detaljer og oppdateringer:" in ics
    assert "Details and updates" not in ics


def test_the_api_description_is_english_at_api_v2_and_norwegian_under_nb(client, site):
    english = json.loads(page(client, "/api/v2/status.json"))
    norwegian = json.loads(page(client, "/nb/api/v2/status.json"))

    assert english["status"] == {"indicator": "critical", "description": "Major System Outage"}
    assert norwegian["status"] == {"indicator": "critical", "description": "Omfattende driftsstans"}


def test_not_found_and_bad_request(client, site):
    missing = page(client, "/nb/nothing-here/", status=404)
    assert_norwegian(
        missing,
        "Fant ikke siden",
        "Se gjeldende status eller bla i historikken",
        absent=("Page not found", "There is nothing", "See the current status"),
    )
    assert re.search(r'<a href="(/nb/|[./]*)history/">bla i historikken</a>', missing)

    bad = page(client, "/nb/blog/?page=x", status=400)
    assert_norwegian(
        bad,
        "Vi forsto ikke forespørselen",
        "En del av adressen godtas ikke av denne siden: "
        "Sidenummeret må være et heltall fra 1 til 999999.",
        absent=("not understood", "whole number", "Part of the address"),
    )
    assert "The page number must be a whole number" in page(client, "/blog/?page=x", status=400)


def test_the_bare_error_pages():
    with translation.override("nb"):
        server_error = render_to_string("500.html")
        busy = render_to_string("503.html", {"mirror_url": "https://mirror.example/"})
        form = render_to_string("busy.html", {"sent_a_form": True})
        read = render_to_string("busy.html", {"sent_a_form": False})

    assert '<html lang="nb">' in server_error
    assert "Noe gikk galt hos oss" in server_error
    assert "Svært travelt akkurat nå" in busy
    assert 'publisert på <a href="https://mirror.example/">' in busy
    assert "Ingenting ble lagret" in form
    assert "Nettstedet er travelt; prøv igjen om noen sekunder." in read
    for html in (server_error, busy, form, read):
        assert not re.search(r"\b(Please|The site|Something|Busy|Nothing was)\b", html), html


def test_pagination_and_durations(client):
    now = timezone.now()
    for n in range(3):
        actions.publish_post(
            title=f"Note {n}",
            slug=f"note-{n}",
            body="Text.",
            published_at=now - timedelta(days=n + 1),
        )
    with override_settings(BLOG_PAGE_SIZE=1):
        html = page(client, "/nb/blog/page/2/")
    assert_norwegian(
        html, "Nyere", "Side 2 av 3", "Eldre", absent=("Newer", "Older", "Page 2 of 3")
    )
    assert 'aria-label="Sider"' in html


def test_the_norwegian_pages_are_valid_html(client, site, tmp_path):
    from tests.test_html_validity import validation_errors

    make_probe_hours(site.imap, [(timezone.now() - timedelta(hours=2), 1234.5, 2500.0)])
    paths = [
        "/nb/",
        f"/nb/incidents/{site.resolved.pk}/",
        f"/nb/maintenance/{site.upcoming.pk}/",
        "/nb/history/",
        "/nb/blog/",
        "/nb/blog/mail-delays/",
        f"/nb/components/{site.imap.pk}/",
        "/nb/widget/",
    ]
    pages = {path: page(client, path) for path in paths}
    pages["/nb/nothing/ (404)"] = page(client, "/nb/nothing/", status=404)
    errors = validation_errors(pages, tmp_path)
    assert not errors, "\n".join(errors)


def test_a_promised_update_is_announced_in_norwegian(client, site):
    incident = site.active
    actions.post_incident_update(
        incident,
        status=incident.status,
        body="Still looking.",
        next_update_by=timezone.now() + timedelta(minutes=30),
    )

    for url in ("/nb/", f"/nb/incidents/{incident.pk}/"):
        html = page(client, url)
        assert_norwegian(html, "Neste oppdatering innen", absent=("Next update by",))
        assert re.search(r'Neste oppdatering innen <time datetime="[^"]+" data-local>', html)
    assert "Next update by <time" in page(client, f"/incidents/{incident.pk}/")
