"""Opening an incident, posting updates, previews, conflicts and bad input, through the console."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import AuditEntry, ComponentStatus, Incident, IncidentStatus
from notifier.models import Notice
from tests.factories import make_component, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def imap(db):
    return make_component("IMAP")


def test_open_an_incident_in_one_form(signed_in, editor, imap):
    client = signed_in(editor)
    assert client.get(reverse("console:incident_new")).status_code == 200
    response = client.post(
        reverse("console:incident_new"),
        {
            "title": "Email services down because of DDoS",
            "impact": "major",
            "status": "investigating",
            f"component_{imap.pk}": ComponentStatus.MAJOR_OUTAGE,
            "body": "We are under a DDoS attack. Next update within 30 minutes.",
            "channels": [],
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:incident", args=[incident.pk])
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.MAJOR_OUTAGE
    assert incident.updates.get().author == editor
    entry = AuditEntry.objects.get(action="incident.opened")
    assert entry.actor == editor and entry.after["title"] == incident.title
    public = client.get(reverse("status_page"))
    assert b"Email services down because of DDoS" in public.content


def test_preview_shows_entry_subject_and_posts_and_saves_nothing(signed_in, editor, imap):
    client = signed_in(editor)
    response = client.post(
        reverse("console:incident_new_preview"),
        {
            "title": "IMAP logins fail",
            "impact": "minor",
            "status": "identified",
            "body": "Logins over **IMAP** fail for some users.",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "IMAP logins fail" in html and "<strong>IMAP</strong>" in html
    assert "Email subject" in html and "/280" in html and "/500" in html
    assert not Incident.objects.exists() and not Notice.objects.exists()
    assert not AuditEntry.objects.filter(action="incident.opened").exists()


def test_an_update_is_previewed_as_it_would_be_published_and_nothing_is_kept(
    signed_in, editor, imap
):
    incident = open_incident("IMAP logins fail", components={imap: "partial_outage"})
    counts = (incident.updates.count(), Notice.objects.count(), AuditEntry.objects.count())
    response = signed_in(editor).post(
        reverse("console:incident_update_preview", args=[incident.pk]),
        {"version": incident.version, "status": "monitoring", "body": "A fix is **live**."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>live</strong>" in html and "IMAP logins fail: monitoring" in html
    assert "Email subject" in html and "/280" in html
    incident.refresh_from_db()
    assert incident.status != IncidentStatus.MONITORING
    assert (incident.updates.count(), Notice.objects.count(), AuditEntry.objects.count()) == counts


def test_bad_input_gets_messages_on_the_form_and_saves_nothing(signed_in, editor, imap):
    client = signed_in(editor)
    response = client.post(
        reverse("console:incident_new"),
        {"title": "", "impact": "galactic", "status": "resolved", "body": "   "},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required" in html or "cannot be empty" in html
    assert "galactic" in html  # named in the "not one of the choices" message
    assert not Incident.objects.exists()


def test_a_future_time_stamp_is_refused(signed_in, editor):
    client = signed_in(editor)
    response = client.post(
        reverse("console:incident_new"),
        {
            "title": "Webmail slow",
            "impact": "minor",
            "status": "investigating",
            "body": "Slow.",
            "posted_at": "2099-01-01T10:00",
        },
    )
    assert b"is in the future" in response.content
    assert not Incident.objects.exists()


def test_post_an_update_from_the_dashboard_card(signed_in, editor, imap):
    incident = open_incident("IMAP logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    client = signed_in(editor)
    card_form = client.get(
        reverse("console:incident_update_form", args=[incident.pk]), HTTP_HX_REQUEST="true"
    )
    assert b'name="version"' in card_form.content
    response = client.post(
        reverse("console:incident_update", args=[incident.pk]),
        {
            "inline": "1",
            "status": "identified",
            "body": "UPDATE 00:45 CET: we found the cause.",
            "version": incident.version,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="incident-{incident.pk}"'.encode() in response.content
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.updates.latest("posted_at").body == "UPDATE 00:45 CET: we found the cause."


def test_the_second_of_two_editors_is_told_and_keeps_their_text(signed_in, editor, imap):
    incident = open_incident("IMAP logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    seen = incident.version
    client = signed_in(editor)
    url = reverse("console:incident_update", args=[incident.pk])
    first = client.post(url, {"status": "identified", "body": "First.", "version": seen})
    assert first.status_code == 302
    second = client.post(url, {"status": "monitoring", "body": "My careful text.", "version": seen})
    assert second.status_code == 409
    html = second.content.decode()
    assert "changed while you were writing" in html
    assert "My careful text." in html
    assert "erika posted an update" in html
    assert incident.updates.count() == 2  # the opening update and the first editor's
    # Sent again deliberately, with the version the conflict page carries, it goes through.
    import re

    version = re.search(r'name="version" value="(\d+)"', html)[1]
    again = {"status": "monitoring", "body": "My careful text.", "version": version}
    third = client.post(url, again)
    assert third.status_code == 302
    assert incident.updates.count() == 3


def test_resolve_then_postmortem(signed_in, editor, imap):
    incident = open_incident("IMAP logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    client = signed_in(editor)
    url = reverse("console:incident_update", args=[incident.pk])
    client.post(url, {"status": "resolved", "body": "Fixed.", "version": incident.version})
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.OPERATIONAL
    page = client.get(reverse("console:incident", args=[incident.pk]))
    assert b"Add an update or a postmortem" in page.content
    postmortem = {"status": "postmortem", "body": "What happened.", "version": incident.version}
    client.post(url, postmortem)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.POSTMORTEM


def test_markdown_preview_is_sanitised(signed_in, editor):
    client = signed_in(editor)
    response = client.post(
        reverse("console:markdown_preview"),
        {"body": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html


def test_a_preview_that_meets_a_busy_database_says_so_instead_of_failing(
    signed_in, editor, monkeypatch
):
    from django.db import OperationalError

    def locked(notice):
        raise OperationalError("database table is locked")

    monkeypatch.setattr("console.previews.render_email", locked)
    response = signed_in(editor).post(
        reverse("console:incident_new_preview"),
        {"title": "IMAP slow", "impact": "minor", "status": "investigating", "body": "Slow."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"could not be made just now" in response.content
    assert not Incident.objects.exists()


def test_the_preview_shows_what_each_configured_reader_channel_would_send(
    signed_in, editor, imap, settings
):
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
    settings.TWILIO_FROM = "+4759440000"
    response = signed_in(editor).post(
        reverse("console:incident_new_preview"),
        {"title": "IMAP logins fail", "impact": "minor", "status": "identified", "body": "Ouch."},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "<summary>SMS subscribers</summary>" in html
    assert "SMS segment, GSM-7)" in html  # staff see what an SMS costs before publishing
    assert "<summary>Slack subscribers</summary>" in html
    settings.SMS_PROVIDER = ""
    response = signed_in(editor).post(
        reverse("console:incident_new_preview"),
        {"title": "IMAP logins fail", "impact": "minor", "status": "identified", "body": "Ouch."},
        HTTP_HX_REQUEST="true",
    )
    assert "SMS subscribers" not in response.content.decode()  # off: nothing to preview
