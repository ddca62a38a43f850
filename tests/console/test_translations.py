"""The console's translation page: the original beside the other language, a preview of each."""

from __future__ import annotations

import pytest
from django.urls import reverse

from console.roles import Role
from incidents.models import AuditEntry, Component
from tests.console.conftest import make_staff
from tests.factories import make_category, open_incident

pytestmark = pytest.mark.django_db


def test_an_editor_adds_the_norwegian_text_of_an_update(editor, signed_in) -> None:
    incident = open_incident("Webmail is slow", body="Logins take **a minute**.")
    update = incident.updates.get()
    client = signed_in(editor)
    url = reverse("console:translate", args=["incident-update", update.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<section lang="en"' in html and "Logins take <strong>a minute</strong>." in html
    body = {"body": "Innlogging tar **ett minutt**.", "preview": ""}
    previewed = client.post(url, body).content.decode()
    assert (
        'lang="nb" aria-label="Preview"><p>Innlogging tar <strong>ett minutt</strong>.' in previewed
    )
    update.refresh_from_db()
    assert update.translations == {}, "a preview saves nothing"
    saved = client.post(url, {**body, "save": ""})
    assert saved.status_code == 302
    assert saved["Location"] == reverse("console:incident", args=[incident.pk])
    update.refresh_from_db()
    assert update.translations == {"nb": {"body": "Innlogging tar **ett minutt**."}}
    again = client.get(url).content.decode()
    assert "Innlogging tar **ett minutt**.</textarea>" in again


def test_a_bad_text_is_shown_again_with_the_reason(editor, signed_in) -> None:
    incident = open_incident("Webmail is slow")
    client = signed_in(editor)
    url = reverse("console:translate", args=["incident", incident.pk])
    refused = client.post(url, {"title": "x" * 250, "save": ""})
    assert refused.status_code == 200
    assert "At most 200 characters (250 given)." in refused.content.decode()
    incident.refresh_from_db()
    assert incident.translations == {}


def test_only_admins_translate_components(editor, signed_in) -> None:
    imap = Component.objects.create(name="IMAP", description="Reading mail")
    url = reverse("console:translate_setup", args=["component", imap.pk])
    assert signed_in(editor).get(url).status_code == 403
    admin = make_staff("ada", Role.ADMIN)
    client = signed_in(admin)
    assert (
        client.post(url, {"name": "IMAP", "description": "Lese e-post", "save": ""}).status_code
        == 302
    )
    imap.refresh_from_db()
    assert imap.localized("description", "nb") == "Lese e-post"


def test_an_unknown_kind_is_not_found(editor, signed_in) -> None:
    client = signed_in(editor)
    assert client.get(reverse("console:translate", args=["component", 1])).status_code == 404
    assert client.get(reverse("console:translate", args=["nothing", 1])).status_code == 404


def test_the_console_pages_link_each_text_to_its_translation(editor, signed_in) -> None:
    incident = open_incident("Webmail is slow")
    update = incident.updates.get()
    html = signed_in(editor).get(reverse("console:incident", args=[incident.pk])).content.decode()
    page = reverse("console:translate", args=["incident", incident.pk])
    assert f'href="{page}?language=nb">Add the Norwegian Bokmal text</a>' in html
    update_page = reverse("console:translate", args=["incident-update", update.pk])
    assert f'href="{update_page}?language=nb">Add the' in html


def test_a_site_in_one_language_has_no_translation_page(editor, signed_in, settings) -> None:
    incident = open_incident("Webmail is slow")
    settings.LANGUAGES = [("en", "English")]
    client = signed_in(editor)
    assert (
        client.get(reverse("console:translate", args=["incident", incident.pk])).status_code == 404
    )
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert "translation-link" not in page


def test_a_blog_category_is_translated_from_a_link_in_the_admin(signed_in, django_user_model):
    category = make_category("News", description="What is new at the service.")
    # Categories are kept in the Django admin, which superusers reach.
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 20)
    admin_client = signed_in(root)
    change = reverse("admin:incidents_category_change", args=[category.pk])
    page = admin_client.get(change).content.decode()
    translate = reverse("console:translate_setup", args=["category", category.pk])
    assert f'href="{translate}?language=nb">Add the Norwegian Bokmal text</a>' in page
    assert 'name="translations"' not in page  # edited on its page, not as raw JSON

    response = admin_client.post(
        f"{translate}?language=nb",
        {"name": "Nytt", "description": "Hva som er nytt.", "save": ""},
    )
    assert response.status_code == 302 and response["Location"] == change
    category.refresh_from_db()
    assert category.translation("nb") == {"name": "Nytt", "description": "Hva som er nytt."}
    assert AuditEntry.objects.filter(action="category.translated").exists()
