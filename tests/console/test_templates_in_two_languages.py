"""Saved messages in the Norwegian fields of a publish form: only templates with a Norwegian text
are offered there, inserting one puts its Norwegian text in with the placeholders written in
Norwegian, and the English picker beside it is left alone."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from console.models import MessageTemplate
from incidents import timefmt
from incidents.models import ComponentStatus
from tests.factories import make_component, schedule_maintenance

pytestmark = pytest.mark.django_db

FILL = "console:message_template_fill"


@pytest.fixture
def webmail(db):
    component = make_component("Webmail")
    component.translations = {"nb": {"name": "Nettpost"}}
    component.save()
    return component


@pytest.fixture
def outage(db) -> MessageTemplate:
    return MessageTemplate.objects.create(
        name="Outage: first notice",
        use=MessageTemplate.Use.INCIDENT,
        title="{components} unavailable",
        body="UPDATE {time}: {components} cannot be reached. Next update by {next_update}.",
        translations={
            "nb": {
                "title": "{components} er utilgjengelig",
                "body": "OPPDATERING {time}: {components} svarer ikke. "
                "Neste oppdatering innen {next_update}.",
            }
        },
    )


def textarea(html: str) -> tuple[str, str]:
    """The first textarea's opening tag and its text."""
    match = re.search(r"(<textarea[^>]*>)\n?(.*?)</textarea>", html, re.S)
    assert match, html
    return match[1], unescape(match[2])


def picker(html: str, name: str) -> list[str]:
    match = re.search(rf'<select[^>]*name="{name}">(.*?)</select>', html, re.S)
    assert match, f"no {name} picker"
    return re.findall(r"<option[^>]*>([^<]*)</option>", match[1])


def test_the_norwegian_field_offers_only_templates_with_a_norwegian_text(signed_in, editor, outage):
    html = signed_in(editor).get(reverse("console:incident_new")).content.decode()
    norwegian = picker(html, "template_pick_nb")
    assert norwegian == ["Choose a saved message", "Outage: first notice"]
    assert "DDoS: update" in picker(html, "template_pick")  # the English one as before
    assert '<label for="id_body_nb_template">Saved message in Norwegian Bokmal</label>' in html
    assert "Only saved messages with a Norwegian Bokmal text are offered." in html


def test_inserting_into_the_norwegian_field_uses_its_text_and_norwegian_names(
    signed_in, editor, outage, webmail
):
    english = MessageTemplate.objects.get(name="DDoS: update")
    response = signed_in(editor).post(
        reverse(FILL),
        {
            "field": "body_nb",
            "template_pick_nb": outage.pk,
            "template_pick": english.pk,  # the English picker's choice is not this field's
            "label": "Message (Norwegian Bokmal)",
            "optional": "on",
            "title": "",
            "title_nb": "",
            "body": "",
            "body_nb": "",
            f"component_{webmail.pk}": ComponentStatus.MAJOR_OUTAGE,
        },
    )
    html = response.content.decode()
    tag, text = textarea(html)
    assert 'name="body_nb"' in tag and 'id="id_body_nb"' in tag and 'lang="nb"' in tag
    assert "required" not in tag
    now = timezone.now()
    with translation.override("nb"):
        times = {timefmt.clock(now - timedelta(minutes=m)) for m in (0, 1)}
    assert any(text.startswith(f"OPPDATERING {t}: Nettpost svarer ikke.") for t in times), text
    assert "Webmail" not in text and "{" not in text
    # The empty Norwegian title gets the template's Norwegian title; the English one is untouched.
    assert re.search(r'<input[^>]*name="title_nb"[^>]*lang="nb"[^>]*id="id_title_nb"', html)
    assert "Nettpost er utilgjengelig" in html and 'name="title"' not in html
    assert 'id="id_body_nb_preview"' in html and 'lang="nb"' in html.split("_preview")[1][:200]


def test_a_template_without_a_norwegian_text_is_refused_there_and_the_text_kept(signed_in, editor):
    english = MessageTemplate.objects.get(name="DDoS: update")
    response = signed_in(editor).post(
        reverse(FILL),
        {"field": "body_nb", "template_pick_nb": english.pk, "body_nb": "Mitt eget utkast."},
    )
    html = response.content.decode()
    assert textarea(html)[1] == "Mitt eget utkast."
    assert "“DDoS: update” has no Norwegian Bokmal text yet" in html
    assert "HX-Trigger-After-Settle" not in response


def test_a_language_the_site_does_not_have_leaves_the_page_alone(signed_in, editor, outage):
    response = signed_in(editor).post(
        reverse(FILL), {"field": "body_de", "template_pick_de": outage.pk, "body_de": "Hallo"}
    )
    assert response.status_code == 204


def test_a_maintenance_window_is_written_in_norwegian(signed_in, editor, webmail):
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    maintenance = schedule_maintenance(
        start=start, end=start + timedelta(hours=2), components=[webmail]
    )
    MessageTemplate.objects.create(
        name="Window",
        use=MessageTemplate.Use.MAINTENANCE,
        body="Window: {window}.",
        translations={"nb": {"body": "Tidsrom: {window}."}},
    )
    template = MessageTemplate.objects.get(name="Window")
    response = signed_in(editor).post(
        reverse(FILL),
        {
            "field": "cancel-body_nb",
            "template_pick_nb": template.pk,
            "cancel-body_nb": "",
            "maintenance": maintenance.pk,
        },
    )
    tag, text = textarea(response.content.decode())
    assert 'name="cancel-body_nb"' in tag
    with translation.override("nb"):
        main, _ = timefmt.window_everywhere(start, start + timedelta(hours=2))
    with translation.override("en"):
        english, _ = timefmt.window_everywhere(start, start + timedelta(hours=2))
    assert main != english  # the day and month names differ
    assert text.startswith(f"Tidsrom: {main}")
