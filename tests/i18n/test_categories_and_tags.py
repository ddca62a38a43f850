"""Blog categories and tags in two languages: their names on the Norwegian pages and feeds once
translated, and the original marked with its language until then (the admin's way to their
translation page: tests/console/test_translations.py)."""

from __future__ import annotations

import re

import pytest

import actions
from tests.factories import make_category, make_tag, publish_post

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


@pytest.fixture
def news(db):
    category = make_category("News", description="What is new at the service.")
    tag = make_tag("Spam")
    publish_post("New spam filter", slug="new-spam-filter", categories=[category], tags=[tag])
    return category, tag


def test_translated_names_read_in_norwegian_on_every_blog_page(client, news):
    category, tag = news
    actions.translate(category, "nb", {"name": "Nytt", "description": "Hva som er nytt."})
    actions.translate(tag, "nb", {"name": "Søppelpost"})

    listing = client.get("/nb/blog/category/news/").content.decode()
    assert re.search(r"<h1>\s*Nytt\s*</h1>", listing)
    assert "<title>Nytt · " in listing and "Hva som er nytt." in listing
    assert 'title="Nytt (Atom)"' in listing
    assert 'aria-current="page">Nytt</a>' in listing  # the categories' list
    assert ">Søppelpost</a>" in listing  # the post's meta line

    tagged = client.get("/nb/blog/tag/spam/").content.decode()
    assert re.search(r"<h1>\s*Innlegg med stikkordet «Søppelpost»\s*</h1>", tagged)
    post = client.get("/nb/blog/new-spam-filter/").content.decode()
    assert ">Nytt</a>" in post and ">Søppelpost</a>" in post

    feed = client.get("/nb/blog/category/news/feed.atom").content.decode()
    assert "<title>" in feed and ": Nytt</title>" in feed
    assert 'term="Nytt"' in feed

    english = client.get("/blog/category/news/").content.decode()
    assert re.search(r"<h1>\s*News\s*</h1>", english) and "Nytt" not in english


def test_an_untranslated_name_is_the_original_marked_with_its_language(client, news):
    listing = client.get("/nb/blog/category/news/").content.decode()
    assert re.search(r'<h1>\s*<span lang="en">News</span>\s*</h1>', listing)
    assert "<title>News · " in listing  # no markup in the title
    assert '<span lang="en">What is new at the service.</span>' in listing
    tagged = client.get("/nb/blog/tag/spam/").content.decode()
    assert 'Innlegg med stikkordet «<span lang="en">Spam</span>»</h1>' in tagged
    assert "<title>Innlegg med stikkordet «Spam» · " in tagged
