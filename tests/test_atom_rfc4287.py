"""Every Atom feed the site has, checked against RFC 4287's structure (section 4.1)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern

from incidents.models import Category, Component
from incidents.urls import urlpatterns
from tests.factories import build_site, make_category, make_component

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 3339 date-time, as RFC 4287 section 3.3 requires for atom:updated and atom:published.
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def atom_routes() -> list[str]:
    return [
        str(p.pattern)
        for p in urlpatterns
        if isinstance(p, URLPattern) and str(p.pattern).endswith("feed.atom")
    ]


def every_atom_feed() -> list[str]:
    """The route of each Atom feed filled in for every category and component there is."""
    urls = []
    for route in atom_routes():
        if "<slug:slug>" in route:
            urls += [
                "/" + route.replace("<slug:slug>", c.slug) for c in Category.objects.order_by("pk")
            ]
        elif "<int:pk>" in route:
            urls += [
                "/" + route.replace("<int:pk>", str(c.pk)) for c in Component.objects.order_by("pk")
            ]
        else:
            urls.append("/" + route)
    return urls


def one(parent: ET.Element, name: str, url: str) -> ET.Element:
    found = parent.findall(ATOM + name)
    assert len(found) == 1, (url, parent.tag, name, len(found))
    return found[0]


def check_date(element: ET.Element, url: str) -> None:
    assert DATE_TIME.match(element.text or ""), (url, element.tag, element.text)


def check_person(author: ET.Element, url: str) -> None:
    """RFC 4287 3.2: a Person construct has exactly one atom:name, at most one atom:uri."""
    assert (one(author, "name", url).text or "").strip(), url
    uris = author.findall(ATOM + "uri")
    assert len(uris) <= 1, url
    for uri in uris:
        assert urlsplit(uri.text or "").scheme in ("http", "https"), (url, uri.text)


def check_feed(url: str, document: bytes) -> ET.Element:
    feed = ET.fromstring(document)
    assert feed.tag == ATOM + "feed", url
    assert urlsplit(one(feed, "id", url).text or "").scheme, url  # an IRI (4.2.6)
    assert (one(feed, "title", url).text or "").strip(), url
    check_date(one(feed, "updated", url), url)
    entries = feed.findall(ATOM + "entry")
    feed_authors = feed.findall(ATOM + "author")
    # 4.1.1: the feed has an author, unless every entry has one.
    assert feed_authors or all(e.findall(ATOM + "author") for e in entries), url
    for author in feed_authors:
        check_person(author, url)
    assert [link for link in feed.findall(ATOM + "link") if link.get("rel") == "self"], url
    for entry in entries:
        # 4.1.2: exactly one id, title and updated; an alternate link where there is no content.
        assert urlsplit(one(entry, "id", entry.tag).text or "").scheme, url
        assert (one(entry, "title", url).text or "").strip(), url
        check_date(one(entry, "updated", url), url)
        for published in entry.findall(ATOM + "published"):
            check_date(published, url)
        alternates = [
            link for link in entry.findall(ATOM + "link") if link.get("rel") in (None, "alternate")
        ]
        assert len(alternates) == 1 or entry.findall(ATOM + "content"), url
        for author in entry.findall(ATOM + "author"):
            check_person(author, url)
    return feed


def test_the_site_has_three_kinds_of_atom_feed():
    """A new kind of Atom feed must be added to every_atom_feed's filling-in."""
    assert atom_routes() == [
        "blog/category/<slug:slug>/feed.atom",
        "feed.atom",
        "components/<int:pk>/feed.atom",
    ]


def test_every_atom_feed_meets_rfc_4287_and_names_the_site_as_author(client, settings):
    """RFC 4287 4.1.1: atom:feed MUST contain an atom:author unless every entry has one."""
    build_site()
    make_category("Empty")  # a feed with no entries needs the feed's author all the more
    make_component("Payments")
    urls = every_atom_feed()
    assert len(urls) == 7  # everything, two categories, four components

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/atom+xml"), url
        feed = check_feed(url, response.content)

        (author,) = feed.findall(ATOM + "author")
        assert one(author, "name", url).text == settings.SITE_NAME
        assert one(author, "uri", url).text == settings.SITE_URL
