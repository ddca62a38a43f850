"""A second Mastodon or X account per language in the console: offered, previewed in its
language, and counted apart from the default account."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from incidents.models import ComponentStatus
from notifier.models import Delivery, Notice
from tests.factories import make_component

pytestmark = pytest.mark.django_db


@pytest.fixture
def norwegian_mastodon(settings):
    settings.MASTODON_API_BASE_URL = "https://mastodon.example"
    settings.MASTODON_ACCESS_TOKEN = "app-token"
    settings.MASTODON_NB_API_BASE_URL = "https://mastodon.example.no"
    settings.MASTODON_NB_ACCESS_TOKEN = "nb-token"
    return settings


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_publish_form_offers_the_norwegian_account_once_configured(signed_in, editor, settings):
    client = signed_in(editor)
    off = text_of(client.get(reverse("console:incident_new")).content.decode())
    assert (
        "Mastodon in Norwegian Bokmal (off: Set MASTODON_NB_API_BASE_URL, "
        "MASTODON_NB_ACCESS_TOKEN in the environment.)" in off
    )

    settings.MASTODON_NB_API_BASE_URL = "https://mastodon.example.no"
    settings.MASTODON_NB_ACCESS_TOKEN = "nb-token"
    form = client.get(reverse("console:incident_new")).content.decode()
    assert re.search(r'value="mastodon_nb" checked', form)
    assert re.search(r'value="x_nb" disabled', form)


def test_the_preview_shows_the_norwegian_post_beside_the_english_one(
    signed_in, editor, norwegian_mastodon
):
    response = signed_in(editor).post(
        reverse("console:incident_new_preview"),
        {"title": "IMAP logins fail", "impact": "minor", "status": "identified", "body": "Ow."},
        HTTP_HX_REQUEST="true",
    )

    page = text_of(response.content.decode())
    post = (
        r"\d+/500 IMAP logins fail: {} \(\d\d:\d\d CET\) Ow\. http://127\.0\.0\.1:8000/{}incidents/"
    )
    assert re.search("Mastodon " + post.format("identified", ""), page)
    assert re.search(
        "Mastodon in Norwegian Bokmal " + post.format("årsaken er funnet", "nb/"), page
    )


def test_a_publish_gives_the_norwegian_account_a_delivery_of_its_own(
    signed_in, editor, norwegian_mastodon
):
    imap = make_component("IMAP")
    client = signed_in(editor)
    client.post(
        reverse("console:incident_new"),
        {
            "title": "IMAP logins fail",
            "impact": "major",
            "status": "investigating",
            f"component_{imap.pk}": ComponentStatus.MAJOR_OUTAGE,
            "body": "Logins over IMAP fail.",
            "channels": ["mastodon", "mastodon_nb"],
        },
    )

    notice = Notice.objects.get()
    assert set(notice.channels) >= {"mastodon", "mastodon_nb"}
    assert sorted(Delivery.objects.values_list("channel", "target")) == [
        ("mastodon", "mastodon"),
        ("mastodon_nb", "mastodon_nb"),
    ]
    page = text_of(client.get(reverse("console:notice", args=[notice.pk])).content.decode())
    assert "mastodon: 1 pending" in page and "mastodon_nb: 1 pending" in page
