"""Saved message templates: editing them, who may, and inserting one into a body field."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from console.models import MessageTemplate
from console.roles import Role
from incidents import timefmt
from incidents.models import AuditEntry, ComponentStatus
from tests.console.conftest import make_staff
from tests.factories import make_component, open_incident, schedule_maintenance

pytestmark = pytest.mark.django_db

FILL = "console:message_template_fill"


@pytest.fixture
def imap(db):
    return make_component("IMAP")


def textarea(html: str) -> str:
    return unescape(re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", html, re.S)[1])


def test_the_migration_seeds_ddos_and_maintenance_templates():
    names = set(MessageTemplate.objects.values_list("name", flat=True))
    assert {"DDoS: update", "Maintenance announcement"} <= names
    announcement = MessageTemplate.objects.get(name="Maintenance announcement")
    for section in ("What you can do", "What we are doing", "Why it is being done"):
        assert f"## {section}" in announcement.body
    assert {"time", "components", "next_update"} <= set(
        MessageTemplate.objects.get(name="DDoS: update").placeholders
    )


def test_an_editor_writes_and_edits_a_template_with_an_audit_trail(signed_in, editor):
    client = signed_in(editor)
    assert client.get(reverse("console:message_template_new")).status_code == 200
    response = client.post(
        reverse("console:message_template_new"),
        {"name": "Phishing alert", "use": "incident", "title": "", "body": "Beware, {time}."},
    )
    assert response.status_code == 302
    template = MessageTemplate.objects.get(name="Phishing alert")
    url = reverse("console:message_template_edit", args=[template.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"name": "Phishing alert", "use": "incident", "body": "Do not click."})
    template.refresh_from_db()
    assert template.body == "Do not click."
    entries = AuditEntry.objects.about(template).order_by("id")
    assert [e.action for e in entries] == ["template.created", "template.edited"]
    assert entries[1].before["body"] == "Beware, {time}." and entries[1].actor == editor
    listing = client.get(reverse("console:message_templates")).content.decode()
    assert "Phishing alert" in listing and "Delete" not in listing  # editors do not delete


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "DDoS: update", "use": "incident", "body": "x"}, "already a template"),
        ({"name": "Blank", "use": "incident", "body": "   "}, "needs a text"),
        ({"name": "Huge", "use": "incident", "body": "x" * 20_001}, "under 20,000 characters"),
        ({"name": "Odd", "use": "sms", "body": "x"}, "not one of the available choices"),
    ],
)
def test_bad_templates_are_refused_on_the_form(signed_in, editor, data, message):
    before = MessageTemplate.objects.count()
    response = signed_in(editor).post(reverse("console:message_template_new"), data)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert MessageTemplate.objects.count() == before
    assert not AuditEntry.objects.exists()


def test_only_admins_delete(signed_in, editor, admin_user):
    template = MessageTemplate.objects.get(name="DDoS: update")
    url = reverse("console:message_template_delete", args=[template.pk])
    assert signed_in(editor).get(url).status_code == 403
    assert signed_in(editor).post(url).status_code == 403
    assert MessageTemplate.objects.filter(pk=template.pk).exists()
    admin = signed_in(admin_user)
    assert "Delete" in admin.get(reverse("console:message_templates")).content.decode()
    assert admin.get(url).status_code == 200
    assert admin.post(url).status_code == 302
    assert not MessageTemplate.objects.filter(pk=template.pk).exists()
    entry = AuditEntry.objects.get(action="template.deleted")
    assert entry.actor == admin_user and entry.before["name"] == "DDoS: update"


def test_inserting_fills_time_components_and_next_update(signed_in, editor, imap):
    template = MessageTemplate.objects.get(name="DDoS: update")
    response = signed_in(editor).post(
        reverse(FILL),
        {
            "template_pick": template.pk,
            "field": "body",
            "body": "",
            "title": "",
            f"component_{imap.pk}": ComponentStatus.MAJOR_OUTAGE,
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    text = textarea(html)
    # The previews catch up as if the text had been typed.
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"input": {"target": "#id_body"}}
    now = timezone.now()
    # The minute may turn between the request and here.
    times = {timefmt.clock(now - timedelta(minutes=m)) for m in (0, 1)}
    assert any(text.startswith(f"UPDATE {t}:") for t in times)
    assert any(timefmt.clock(now + timedelta(minutes=30 - m)) in text for m in (0, 1))
    assert "IMAP may be slow" in text and "{" not in text
    assert timefmt.abbreviation(now) in text  # CET or CEST, never a bare time
    # The empty title gets the template's title, swapped in out of band.
    assert 'id="id_title" data-hx-swap-oob="true"' in html
    assert "Email services disrupted by a DDoS attack" in html


def test_inserting_keeps_what_is_written_and_never_overwrites_a_title(signed_in, editor):
    template = MessageTemplate.objects.get(name="DDoS: resolved")
    response = signed_in(editor).post(
        reverse(FILL),
        {
            "template_pick": template.pk,
            "field": "body",
            "body": "My own first line.",
            "title": "My title",
        },
    )
    text = textarea(response.content.decode())
    assert text.startswith("My own first line.\n\nUPDATE ")
    assert "hx-swap-oob" not in response.content.decode()


def test_inserting_into_a_maintenance_act_uses_its_window_and_components(signed_in, editor, imap):
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    maintenance = schedule_maintenance(
        start=start, end=start + timedelta(hours=2), components=[imap]
    )
    template = MessageTemplate.objects.get(name="Maintenance announcement")
    response = signed_in(editor).post(
        reverse(FILL),
        {
            "template_pick": template.pk,
            "field": "cancel-body",
            "cancel-body": "",
            "label": "Why it is cancelled",
            "rows": "4",
            "maintenance": maintenance.pk,
        },
    )
    html = response.content.decode()
    assert 'name="cancel-body"' in html and 'id="id_cancel-body"' in html
    assert "Why it is cancelled" in html and 'rows="4"' in html
    text = textarea(html)
    main, others = timefmt.window_everywhere(maintenance.scheduled_start, maintenance.scheduled_end)
    assert main in text and all(other.text in text for other in others)
    assert "IMAP will be unavailable" in text


def test_a_missing_template_or_field_leaves_the_text_alone(signed_in, editor):
    client = signed_in(editor)
    gone = client.post(
        reverse(FILL), {"template_pick": "999999", "field": "note-body", "note-body": "Kept."}
    )
    assert gone.status_code == 200
    assert textarea(gone.content.decode()) == "Kept."
    assert "no longer exists" in gone.content.decode()
    assert "HX-Trigger-After-Settle" not in gone
    huge = client.post(
        reverse(FILL),
        {"template_pick": "9" * 30, "field": "body", "body": "Kept.", "incident": "9" * 30},
    )
    assert huge.status_code == 200 and textarea(huge.content.decode()) == "Kept."
    strange = client.post(reverse(FILL), {"template_pick": "1", "field": "title"})
    assert strange.status_code == 204


def test_the_saved_message_picker_starts_on_no_message_and_asks_for_one(signed_in, editor):
    client = signed_in(editor)
    new = client.get(reverse("console:incident_new")).content.decode()
    picker = re.search(r'<select[^>]*name="template_pick">(.*?)</select>', new, re.S).group(1)
    options = re.findall(r"<option[^>]*>[^<]*</option>", picker)
    assert options[0] == '<option value="" selected>Choose a saved message</option>'
    assert len(options) > 1 and not any("selected" in option for option in options[1:])
    none_chosen = client.post(
        reverse(FILL), {"template_pick": "", "field": "body", "body": "Kept."}
    ).content.decode()
    assert textarea(none_chosen) == "Kept." and "Choose a saved message first." in none_chosen


def test_the_incident_forms_offer_saved_messages(signed_in, editor, imap):
    client = signed_in(editor)
    new = client.get(reverse("console:incident_new")).content.decode()
    assert 'name="template_pick"' in new and "DDoS: update" in new
    assert "Maintenance announcement" not in new  # only the templates meant for incidents
    incident = open_incident("IMAP logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    card = client.get(reverse("console:incident_update_form", args=[incident.pk])).content
    assert b'name="template_pick"' in card and f'"incident": "{incident.pk}"'.encode() in card
    schedule = client.get(reverse("console:maintenance_new")).content.decode()
    assert "Maintenance announcement" in schedule and "DDoS: update" not in schedule


def test_who_may_reach_the_template_pages(client, signed_in, editor, admin_user):
    template = MessageTemplate.objects.get(name="DDoS: update")
    pages = [
        reverse("console:message_templates"),
        reverse("console:message_template_new"),
        reverse("console:message_template_edit", args=[template.pk]),
        reverse("console:message_template_delete", args=[template.pk]),
    ]
    unverified = make_staff("uma", Role.EDITOR)
    half = type(client)()
    half.force_login(unverified)
    nobody = signed_in(make_staff("nora", None))
    for url in [*pages, reverse(FILL)]:
        assert client.get(url)["Location"].startswith(reverse("console:login")), url
        assert half.get(url)["Location"].startswith(reverse("console:verify")), url
        assert nobody.get(url).status_code == 403, url
    editor_client, admin_client = signed_in(editor), signed_in(admin_user)
    for url in pages[:3]:
        assert editor_client.get(url).status_code == 200, url
        assert admin_client.get(url).status_code == 200, url
    assert editor_client.get(pages[3]).status_code == 403
    assert admin_client.get(pages[3]).status_code == 200
    assert editor_client.get(reverse(FILL)).status_code == 405  # POST only
