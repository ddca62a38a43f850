"""The status badges and the embeddable widget: accessible, self-contained, current."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import actions
from incidents.badges import COLOURS, LABEL_COLOUR
from incidents.models import ComponentStatus
from tests.factories import build_site, make_component
from tests.test_contrast import AA_NORMAL_TEXT, WHITE, contrast, status_colours

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

SVG = "{http://www.w3.org/2000/svg}"


def badge(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert_self_contained(response.content.decode())
    return ET.fromstring(response.content)


def assert_self_contained(markup: str) -> None:
    """Nothing is loaded from anywhere: no scripts, images, fonts or links to other documents."""
    assert "<script" not in markup.lower()
    assert "<image" not in markup and "@import" not in markup and "@font-face" not in markup
    assert not re.search(r"\b(?:xlink:)?href=", markup)
    assert re.findall(r"url\(([^)]*)\)", markup) in ([], ["#round"])
    assert re.findall(r"https?://[^\"' ]+", markup) == ["http://www.w3.org/2000/svg"]


def spoken(root: ET.Element) -> tuple[str, str, str]:
    title = root.find(f"{SVG}title")
    assert title is not None
    return root.get("role", ""), root.get("aria-label", ""), title.text or ""


def fills(root: ET.Element) -> list[str]:
    return [rect.get("fill", "") for rect in root.iter(f"{SVG}rect") if rect.get("x") is not None]


def test_the_badge_colours_are_the_site_palette_and_readable():
    assert status_colours() == COLOURS
    for colour in [*COLOURS.values(), LABEL_COLOUR]:
        assert contrast(WHITE, colour) >= AA_NORMAL_TEXT


def test_the_overall_badge_says_the_status_to_screen_readers(client):
    make_component("IMAP")

    root = badge(client, "/badge.svg")

    expected = "Runbox Status: All systems operational"
    assert spoken(root) == ("img", expected, expected)
    assert fills(root) == [COLOURS["none"]]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Runbox Status", "All systems operational"]


def test_the_overall_badge_follows_the_worst_current_status(client):
    site = build_site()  # a critical incident is open

    root = badge(client, "/badge.svg")

    assert spoken(root)[1] == "Runbox Status: Major service outage"
    assert fills(root) == [COLOURS["critical"]]
    actions.resolve_incident(site.active, body="Fixed.")
    assert (
        badge(client, "/badge.svg").get("aria-label") == "Runbox Status: Service under maintenance"
    )


@pytest.mark.parametrize(
    ("status", "indicator", "label"),
    [
        (ComponentStatus.OPERATIONAL, "none", "Operational"),
        (ComponentStatus.DEGRADED_PERFORMANCE, "minor", "Degraded performance"),
        (ComponentStatus.PARTIAL_OUTAGE, "major", "Partial outage"),
        (ComponentStatus.MAJOR_OUTAGE, "critical", "Major outage"),
        (ComponentStatus.UNDER_MAINTENANCE, "maintenance", "Under maintenance"),
    ],
)
def test_a_component_badge_gives_its_name_and_status(client, status, indicator, label):
    imap = make_component("IMAP", status=status)

    root = badge(client, f"/components/{imap.pk}/badge.svg")

    assert spoken(root) == ("img", f"IMAP: {label}", f"IMAP: {label}")
    assert fills(root) == [COLOURS[indicator]]


def test_a_hostile_component_name_stays_text(client):
    odd = make_component('<script>alert("x")</script> & Co')

    response = client.get(f"/components/{odd.pk}/badge.svg")
    root = ET.fromstring(response.content)

    assert b"<script>" not in response.content
    assert next(t.text for t in root.iter(f"{SVG}text")) == '<script>alert("x")</script> & Co'


def test_the_badge_is_wide_enough_for_longer_words(client):
    short = make_component("Web")
    long = make_component("Web hosting (US) and customer support")

    width = {
        c: int(badge(client, f"/components/{c.pk}/badge.svg").get("width")) for c in (short, long)
    }

    assert width[long] > width[short] + 150


def test_an_unknown_component_has_no_badge(client):
    assert client.get("/components/999/badge.svg").status_code == 404


def test_the_widget_can_be_framed_even_from_the_cache_and_other_pages_cannot(client):
    make_component("IMAP")

    first, cached = client.get("/widget/"), client.get("/widget/")

    for response in (first, cached):
        assert response.status_code == 200
        assert not response.has_header("X-Frame-Options")
    assert cached.content == first.content
    assert client.get("/")["X-Frame-Options"] == "DENY"


def test_the_widget_shows_what_is_happening_and_loads_nothing(client):
    site = build_site()

    html = client.get("/widget/").content.decode()

    assert "Runbox Status: Major service outage" in html
    assert f'href="http://127.0.0.1:8000/incidents/{site.active.pk}/"' in html
    assert "Logins fail</a> (identified)" in html
    assert "Webmail upgrade</a> (maintenance in progress)" in html
    assert "Storage migration" in html
    assert '<meta http-equiv="refresh" content="60">' in html
    assert "<script" not in html
    assert "<link" not in html and "<img" not in html and "@import" not in html
    assert '<html lang="en">' in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith("http://127.0.0.1:8000/") for link in links)
