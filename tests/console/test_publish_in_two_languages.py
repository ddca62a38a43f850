"""Publishing with the Norwegian beside the English: the fields in each publish form, the texts on
the rows and in the audit from the first notice on, a bad text refused on its field, a preview
per language, and a site in one language as before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import AuditEntry, Incident, Maintenance, Post
from notifier.models import Notice, Subscriber
from tests.console.test_maintenance import act, schedule_data
from tests.console.test_posts import form_data
from tests.factories import make_component, open_incident, schedule_maintenance
from tests.notifier.conftest import Inbox, inbox  # noqa: F401 - the SMTP sink fixture
from tests.notifier.test_reader_language import bodies

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

OPENING = {
    "title": "Email services down because of DDoS",
    "impact": "major",
    "status": "investigating",
    "body": "We are under a DDoS attack. Next update within 30 minutes.",
    "channels": ["email"],
}
NORWEGIAN = {
    "title_nb": "E-posttjenestene er nede på grunn av DDoS",
    "body_nb": "Vi er under et DDoS-angrep. Neste oppdatering innen 30 minutter.",
}


@pytest.fixture
def imap(db):
    return make_component("IMAP")


@pytest.fixture
def readers(db) -> None:
    Subscriber.objects.create(email="en@example.com")
    Subscriber.objects.create(email="nb@example.com", language="nb")


def mail_to(sink: Inbox, address: str) -> tuple[str, str]:
    """The subject and text of the one mail `address` got."""
    [message] = sink.to(address)
    return message["Subject"].strip(), bodies(message)


def field_html(html: str, name: str) -> str:
    """The input or textarea named `name`, with its text."""
    found = re.search(rf'<(input|textarea)[^>]*name="{name}"[^>]*>([^<]*</textarea>)?', html)
    assert found, f"no field {name}"
    return found[0]


def test_the_publish_forms_offer_the_norwegian_beside_the_english(signed_in, editor, imap):
    incident = open_incident()
    start = timezone.now() + timedelta(days=1)
    window = schedule_maintenance(start=start, end=start + timedelta(hours=2))
    client = signed_in(editor)
    pages = {
        reverse("console:incident_new"): ["title_nb", "body_nb"],
        reverse("console:incident", args=[incident.pk]): ["body_nb"],
        reverse("console:maintenance_new"): ["title_nb", "body_nb"],
        reverse("console:maintenance", args=[window.pk]): ["start-body_nb", "note-body_nb"],
        reverse("console:post_new"): ["title_nb", "body_nb"],
    }
    for url, names in pages.items():
        html = client.get(url).content.decode()
        assert "Norwegian Bokmal (optional)" in html, url
        for name in names:
            field = field_html(html, name)
            assert 'lang="nb"' in field, (url, name)
            assert "required" not in field, (url, name)
            assert f'<label for="id_{name}">' in html, (url, name)
    new = client.get(reverse("console:incident_new")).content.decode()
    assert '<label for="id_title_nb">Title (Norwegian Bokmal)</label>' in new
    assert '<label for="id_body_nb">Message (Norwegian Bokmal)</label>' in new
    assert "<legend>Norwegian Bokmal (optional)</legend>" in new


def test_an_incident_opens_in_both_languages_and_the_first_notice_speaks_norwegian(
    signed_in,
    editor,
    imap,
    readers,
    inbox: Inbox,  # noqa: F811
    eager_celery,
    django_capture_on_commit_callbacks,
):
    client = signed_in(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:incident_new"), {**OPENING, **NORWEGIAN})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert incident.translations == {"nb": {"title": NORWEGIAN["title_nb"]}}
    assert incident.updates.get().translations == {"nb": {"body": NORWEGIAN["body_nb"]}}
    entry = AuditEntry.objects.get(action="incident.opened")
    assert entry.actor == editor
    assert (entry.after["title_nb"], entry.after["body_nb"]) == tuple(NORWEGIAN.values())
    assert not AuditEntry.objects.filter(action="incident.translated").exists()
    subject, text = mail_to(inbox, "nb@example.com")
    assert subject == f"[Runbox Status] {NORWEGIAN['title_nb']}"
    assert NORWEGIAN["body_nb"] in text and "Ikke oversatt" not in text
    subject, text = mail_to(inbox, "en@example.com")
    assert subject == f"[Runbox Status] {OPENING['title']}"
    assert NORWEGIAN["body_nb"] not in text


def test_an_update_and_a_maintenance_note_carry_their_norwegian_from_the_first_notice(
    signed_in,
    editor,
    imap,
    readers,
    inbox: Inbox,  # noqa: F811
    eager_celery,
    django_capture_on_commit_callbacks,
):
    client = signed_in(editor)
    incident = open_incident("Webmail is slow")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("console:incident_update", args=[incident.pk]),
            {
                "version": incident.version,
                "status": "identified",
                "body": "We found the cause.",
                "body_nb": "Vi har funnet årsaken.",
                "channels": ["email"],
            },
        )
    update = incident.updates.latest("pk")
    assert update.translations == {"nb": {"body": "Vi har funnet årsaken."}}
    assert AuditEntry.objects.get(action="incident.updated").after["body_nb"] == (
        "Vi har funnet årsaken."
    )
    assert "Vi har funnet årsaken." in mail_to(inbox, "nb@example.com")[1]
    inbox.messages.clear()
    client.post(
        reverse("console:maintenance_new"),
        schedule_data(imap, title_nb="Databasebytte", body_nb="Vi bytter databasen."),
    )
    window = Maintenance.objects.get()
    assert window.translations == {"nb": {"title": "Databasebytte", "body": "Vi bytter databasen."}}
    with django_capture_on_commit_callbacks(execute=True):
        act(client, window, "note", body="UPDATE: on track.", body_nb="OPPDATERING: i rute.")
    note = window.updates.latest("pk")
    assert note.translations == {"nb": {"body": "OPPDATERING: i rute."}}
    assert AuditEntry.objects.get(action="maintenance.note").after["body_nb"] == (
        "OPPDATERING: i rute."
    )
    subject, text = mail_to(inbox, "nb@example.com")
    assert "Databasebytte" in subject and "OPPDATERING: i rute." in text


def test_a_post_is_published_with_its_norwegian_and_edited_with_it_shown_again(signed_in, editor):
    client = signed_in(editor)
    norwegian = {"title_nb": "Nytt spamfilter", "body_nb": "Vi har et **nytt** spamfilter."}
    response = client.post(reverse("console:post_new"), form_data(intent="publish", **norwegian))
    post = Post.objects.get()
    assert response.status_code == 302 and post.is_published
    assert post.translations == {
        "nb": {"title": "Nytt spamfilter", "body": "Vi har et **nytt** spamfilter."}
    }
    assert AuditEntry.objects.get(action="post.drafted").after["title_nb"] == "Nytt spamfilter"
    page = client.get(reverse("console:post", args=[post.pk])).content.decode()
    assert 'value="Nytt spamfilter"' in field_html(page, "title_nb")
    assert "Vi har et **nytt** spamfilter.</textarea>" in field_html(page, "body_nb")
    edited = client.post(
        reverse("console:post", args=[post.pk]),
        form_data(intent="save", version=post.version, title_nb="Nytt filter", body_nb=""),
    )
    assert edited.status_code == 302
    post.refresh_from_db()
    assert post.translations == {"nb": {"title": "Nytt filter"}}


@pytest.mark.parametrize(
    ("texts", "field", "message"),
    [
        ({"title_nb": "x" * 201}, "title_nb", "At most 200 characters (201 given)."),
        ({"body_nb": "Treg\x1b[31m"}, "body_nb", "control character"),
    ],
)
def test_a_bad_norwegian_text_is_refused_on_its_field_and_nothing_is_published(
    signed_in, editor, imap, texts, field, message
):
    client = signed_in(editor)
    response = client.post(reverse("console:incident_new"), {**OPENING, **NORWEGIAN, **texts})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.split(f'name="{field}"')[1].split("</div>")[0]
    assert not Incident.objects.exists() and not Notice.objects.exists()
    assert not AuditEntry.objects.filter(action="incident.opened").exists()
    # Everything typed is still there, in both languages.
    assert OPENING["title"] in field_html(html, "title")
    other = "body_nb" if field == "title_nb" else "title_nb"
    assert NORWEGIAN[other] in field_html(html, other)


def test_a_too_long_norwegian_title_of_a_window_keeps_the_form(signed_in, editor, imap):
    client = signed_in(editor)
    response = client.post(
        reverse("console:maintenance_new"),
        schedule_data(imap, title_nb="y" * 250, body_nb="Vi bytter databasen."),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "At most 200 characters (250 given)." in html
    assert "Vi bytter databasen.</textarea>" in field_html(html, "body_nb")
    assert not Maintenance.objects.exists()


def test_empty_norwegian_fields_publish_as_before(signed_in, editor, imap, readers):
    client = signed_in(editor)
    response = client.post(reverse("console:incident_new"), {**OPENING, "title_nb": " "})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert incident.translations == {} and incident.updates.get().translations == {}
    assert not any(key.endswith("_nb") for key in AuditEntry.objects.get().after)
    assert Notice.objects.filter(incident=incident).count() == 1


def test_the_preview_shows_the_page_and_the_mail_in_each_language(signed_in, editor, imap):
    client = signed_in(editor)
    url = reverse("console:incident_new_preview")
    html = client.post(url, {**OPENING, **NORWEGIAN}, HTTP_HX_REQUEST="true").content.decode()
    english, norwegian = html.split("For readers in Norwegian Bokmal")
    assert "For readers in English" in english
    assert OPENING["title"] in english and NORWEGIAN["title_nb"] not in english
    assert f'<code lang="en">[Runbox Status] {OPENING["title"]}</code>' in english
    assert NORWEGIAN["body_nb"] in norwegian
    assert f'<code lang="nb">[Runbox Status] {NORWEGIAN["title_nb"]}</code>' in norwegian
    assert "Undersøker" in norwegian  # the status, in Norwegian as its page says it
    assert not Incident.objects.exists() and not Notice.objects.exists()


def test_the_preview_shows_the_original_where_no_norwegian_is_given(signed_in, editor, imap):
    client = signed_in(editor)
    html = client.post(
        reverse("console:incident_new_preview"), OPENING, HTTP_HX_REQUEST="true"
    ).content.decode()
    norwegian = html.split("For readers in Norwegian Bokmal")[1]
    assert f'<span lang="en">{OPENING["title"]}</span>' in norwegian
    assert "Ikke oversatt ennå; vist slik det ble skrevet." in norwegian
    assert f'<div lang="en"><p>{OPENING["body"]}</p></div>' in norwegian


def test_the_other_previews_show_both_languages(signed_in, editor, imap):
    client = signed_in(editor)
    incident = open_incident()
    update = client.post(
        reverse("console:incident_update_preview", args=[incident.pk]),
        {
            "version": incident.version,
            "status": "identified",
            "body": "Found it.",
            "body_nb": "Funnet.",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    english, norwegian = update.split("For readers in Norwegian Bokmal")
    assert "Found it." in english and "<p>Funnet.</p>" in norwegian
    start = timezone.now() + timedelta(days=1)
    planned = schedule_maintenance(start=start, end=start + timedelta(hours=2))
    note = client.post(
        reverse("console:maintenance_act_preview", args=[planned.pk, "note"]),
        {"note-version": planned.version, "note-body": "On track.", "note-body_nb": "I rute."},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<p>I rute.</p>" in note.split("For readers in Norwegian Bokmal")[1]
    post = client.post(
        reverse("console:post_new_preview"),
        form_data(title_nb="Nytt spamfilter", body_nb="Vi har et **nytt** filter."),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    english, norwegian = post.split("For readers in Norwegian Bokmal")
    assert "New spam filter" in english
    assert "Nytt spamfilter" in norwegian and "Vi har et <strong>nytt</strong> filter." in norwegian
    window = client.post(
        reverse("console:maintenance_new_preview"),
        schedule_data(imap, title_nb="Databasebytte", body_nb="Vi bytter databasen."),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Databasebytte" in window.split("For readers in Norwegian Bokmal")[1]
    assert not Post.objects.exists() and list(Maintenance.objects.all()) == [planned]


def test_a_site_in_one_language_has_no_second_field_or_preview(signed_in, editor, imap, settings):
    settings.LANGUAGES = [("en", "English")]
    client = signed_in(editor)
    page = client.get(reverse("console:incident_new")).content.decode()
    assert "title_nb" not in page and "(optional)</legend>" not in page
    preview = client.post(
        reverse("console:incident_new_preview"), OPENING, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "For readers in" not in preview and "On the status page" in preview
    response = client.post(reverse("console:incident_new"), {**OPENING, **NORWEGIAN})
    assert response.status_code == 302
    assert Incident.objects.get().translations == {}
