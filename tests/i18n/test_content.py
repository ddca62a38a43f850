"""Staff's texts in two languages: the translation where given, else the original marked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

import actions
from incidents.models import AuditEntry, Component, Post
from tests.factories import open_incident, publish_post

pytestmark = pytest.mark.django_db


def render(source: str, **context: object) -> str:
    return Template("{% load content %}" + source).render(Context(context))


def test_a_title_reads_in_the_page_language_once_translated() -> None:
    incident = open_incident("Webmail is slow")
    assert incident.language == "en"
    actions.translate(incident, "nb", {"title": "Webmail er treg"})
    incident.refresh_from_db()
    with translation.override("nb"):
        assert incident.localized("title") == "Webmail er treg"
        assert render("{{ i|tr:'title' }}", i=incident) == "Webmail er treg"
    with translation.override("en"):
        assert render("{{ i|tr:'title' }}", i=incident) == "Webmail is slow"


def test_an_untranslated_text_is_the_original_in_its_language_with_a_note() -> None:
    incident = open_incident("Webmail is slow", body="We are **investigating**.")
    update = incident.updates.get()
    with translation.override("nb"):
        title = render("{{ i|tr:'title' }}", i=incident)
        body = render("{{ u|tr_markdown:'body' }}", u=update)
    assert title == '<span lang="en">Webmail is slow</span>'
    assert body == (
        '<p class="untranslated">Ikke oversatt ennå; vist slik det ble skrevet.</p>'
        '<div lang="en"><p>We are <strong>investigating</strong>.</p></div>'
    )
    with translation.override("en"):
        assert render("{{ u|tr_markdown:'body' }}", u=update) == (
            "<p>We are <strong>investigating</strong>.</p>"
        )


def test_a_text_written_in_norwegian_is_marked_on_the_english_page() -> None:
    post = publish_post("Ny spamfilter", body="Vi har et nytt filter.<!--more-->Slik virker det.")
    Post.objects.filter(pk=post.pk).update(language="nb")
    post.refresh_from_db()
    with translation.override("en"):
        assert render("{{ p|tr:'title' }}", p=post) == '<span lang="nb">Ny spamfilter</span>'
    actions.translate(
        post, "en", {"title": "New spam filter", "body": "A new filter.<!--more-->How."}
    )
    post.refresh_from_db()
    with translation.override("en"):
        assert post.localized("excerpt") == "A new filter."
        assert post.localized("full_body") == "A new filter.How."
    with translation.override("nb"):
        assert post.localized("excerpt") == "Vi har et nytt filter."


def test_a_translation_is_audited_and_an_empty_one_removed() -> None:
    imap = Component.objects.create(name="IMAP", description="Reading mail")
    actions.translate(imap, "nb", {"name": "IMAP", "description": "Lese e-post"})
    imap.refresh_from_db()
    assert imap.translations == {"nb": {"name": "IMAP", "description": "Lese e-post"}}
    assert imap.is_translated_into("nb")
    entry = AuditEntry.objects.get(action="component.translated")
    assert entry.before == {}
    assert entry.after == {"name_nb": "IMAP", "description_nb": "Lese e-post"}
    actions.translate(imap, "nb", {"name": "", "description": ""})
    imap.refresh_from_db()
    assert imap.translations == {}
    with translation.override("nb"):
        assert imap.localized("description").lang == "en"


@pytest.mark.parametrize(
    ("language", "texts", "field"),
    [
        ("de", {"title": "Langsam"}, "language"),
        ("en", {"title": "Slow"}, "language"),  # its own language is not a translation
        ("nb", {"title": "x" * 201}, "title"),
        ("nb", {"title": "Treg\x1b[31m"}, "title"),
    ],
)
def test_a_bad_translation_is_refused_with_the_reason(language, texts, field) -> None:
    incident = open_incident("Webmail is slow")
    with pytest.raises(ValidationError) as refused:
        actions.translate(incident, language, texts)
    assert field in refused.value.message_dict
    incident.refresh_from_db()
    assert incident.translations == {}


def test_the_demo_has_norwegian_for_the_components_and_recent_notices() -> None:
    from io import StringIO

    from django.core.management import call_command

    from incidents.models import ComponentGroup, Incident, Maintenance

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())  # a second run changes nothing
    with translation.override("nb"):
        assert Component.objects.get(name="Payments").localized("name") == "Betaling"
        assert ComponentGroup.objects.get(name="Email").localized("name") == "E-post"
        extortion = Incident.objects.get(title="DDoS attacks by extortionists")
        assert extortion.localized("title") == "DDoS-angrep fra utpressere"
        first = extortion.updates.order_by("posted_at", "id").first()
        assert first is not None and first.localized("body").startswith("Fredag kveld")
        window = Maintenance.objects.get(title="Email storage unit replacement")
        assert window.localized("body").startswith("Mandag 12. oktober")
    assert all(c.is_translated_into("nb") for c in Component.objects.all())
    assert AuditEntry.objects.filter(action="incident.translated").count() == 4


def test_the_norwegian_pages_feeds_and_api_read_the_translation() -> None:
    import json

    from django.test import Client

    from incidents.models import ComponentStatus
    from tests.factories import make_component

    imap = make_component("IMAP", description="Reading mail")
    actions.translate(imap, "nb", {"name": "IMAP", "description": "Lese e-post"})
    incident = open_incident(
        "Webmail is slow",
        body="Logins take a minute.",
        components={imap: ComponentStatus.DEGRADED_PERFORMANCE},
    )
    actions.translate(incident, "nb", {"title": "Webmail er treg"})
    client = Client()
    status = client.get("/nb/").content.decode()
    assert "Webmail er treg" in status and "<small>Lese e-post</small>" in status
    page = client.get(f"/nb/incidents/{incident.pk}/").content.decode()
    assert "<h1>Webmail er treg</h1>" in page
    assert '<div lang="en"><p>Logins take a minute.</p></div>' in page
    assert "Ikke oversatt ennå; vist slik det ble skrevet." in page
    english = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "<h1>Webmail is slow</h1>" in english and "untranslated" not in english
    assert "Webmail er treg" in client.get("/nb/feed.atom").content.decode()
    [listed] = json.loads(client.get("/nb/api/v2/incidents.json").content)["incidents"]
    assert listed["name"] == "Webmail er treg"
    [unchanged] = json.loads(client.get("/api/v2/incidents.json").content)["incidents"]
    assert unchanged["name"] == "Webmail is slow"
