"""Time tokens in the console: explained under every markdown field, a malformed one refused
on save with a clear message, and a warning before publishing a maintenance text whose
token disagrees with its window."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse

from console.forms.fields import site_local
from console.forms.time_tokens import window_warnings
from incidents import timefmt
from incidents.models import Incident, Maintenance, MaintenanceStatus, Post
from tests.console.test_maintenance import ahead, preview, schedule_data
from tests.factories import make_component, oslo, schedule_maintenance

pytestmark = pytest.mark.django_db

BAD = "{{time 2012-12-32 06:30 CET}}"
SAYS = "2012-12-32 is not a date"


@pytest.fixture
def imap(db):
    return make_component("IMAP")


def token(start: datetime, end: datetime | None = None) -> str:
    """A token for a window, written the way a writer would (site zone, its abbreviation)."""
    local = timefmt.in_zone(start)
    until = f"-{timefmt.in_zone(end):%H:%M}" if end else ""
    return f"{{{{time {local:%Y-%m-%d %H:%M}{until} {local.tzname()}}}}}"


def text_of(response) -> str:
    return unescape(response.content.decode())


# Explained, and refused when malformed


@pytest.mark.parametrize(
    "page", ["console:maintenance_new", "console:incident_new", "console:post_new"]
)
def test_every_markdown_field_explains_how_to_write_a_time(signed_in, editor, page):
    html = signed_in(editor).get(reverse(page)).content.decode()

    assert "<code>{{time 2012-12-20 06:30-08:30 CET}}</code>" in html
    assert "readers see it in every zone" in html


def test_scheduling_with_a_malformed_token_is_refused_with_what_is_wrong(signed_in, editor, imap):
    client = signed_in(editor)

    response = client.post(
        reverse("console:maintenance_new"), schedule_data(imap, body=f"Work at {BAD}.")
    )

    assert response.status_code == 400
    assert f"{BAD}: {SAYS}." in text_of(response)
    assert not Maintenance.objects.exists()


def test_an_incident_or_a_post_with_a_malformed_token_is_refused_never_a_500(signed_in, editor):
    client = signed_in(editor)

    incident = client.post(
        reverse("console:incident_new"),
        {"title": "Webmail down", "impact": "major", "status": "investigating", "body": BAD},
    )
    post = client.post(
        reverse("console:post_new"),
        {"title": "Downtime", "body": "Downtime {{time 06:30", "intent": "save"},
    )

    assert incident.status_code in (200, 400) and SAYS in text_of(incident)
    assert post.status_code in (200, 400) and "“{{time 06:30” is not a time" in text_of(post)
    assert not Incident.objects.exists() and not Post.objects.exists()


def test_a_note_with_a_malformed_token_is_refused_and_nothing_is_posted(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    client = signed_in(editor)
    data = {"note-version": maintenance.version, "note-body": f"UPDATE: back at {BAD}"}

    response = client.post(reverse("console:maintenance_act", args=[maintenance.pk, "note"]), data)

    assert response.status_code == 400 and SAYS in text_of(response)
    assert maintenance.updates.count() == 1


# Warned when a token disagrees with the window


def test_the_warning_names_a_range_other_than_the_window_or_a_time_outside_it():
    start, end = oslo(2012, 12, 20, 6, 30), oslo(2012, 12, 20, 8, 30)
    body = (
        "Dec 12: {{time 2012-12-12 06:30-08:30 CET}}; Dec 20: {{time 2012-12-20 06:30-08:30 CET}}"
        " from {{time 2012-12-20 06:30 CET}} to {{time 2012-12-20 07:30 UTC}},"
        " next update {{time 2012-12-20 09:00 CET}}, bad {{time 2012-12-32 06:30 CET}}"
    )

    warnings = window_warnings(body, start, end)

    assert warnings == [
        "The text gives {{time 2012-12-12 06:30-08:30 CET}}, "
        "but the window is Thu 20 Dec 2012, 06:30–08:30 CET.",
        "The text gives {{time 2012-12-20 09:00 CET}}, "
        "but the window is Thu 20 Dec 2012, 06:30–08:30 CET.",
    ]


def test_the_schedule_preview_warns_when_the_text_gives_another_window(signed_in, editor, imap):
    client = signed_in(editor)
    url = reverse("console:maintenance_new_preview")
    start, end = ahead(2), ahead(2, 2)
    a_day_late = token(start + timedelta(days=1), end + timedelta(days=1))

    wrong = client.post(url, schedule_data(imap, body=f"Downtime {a_day_late}."))
    right = client.post(url, schedule_data(imap, body=f"Downtime {token(start, end)}."))

    window, _others = timefmt.window_everywhere(start, end)
    assert wrong.status_code == 200 and "Check before publishing" in text_of(wrong)
    assert f"The text gives {a_day_late}, but the window is {window}." in text_of(wrong)
    assert "Email subject" in text_of(wrong)  # a warning, not an error: the preview is there
    assert right.status_code == 200 and "Check before publishing" not in text_of(right)
    assert "<time datetime=" in right.content.decode()
    assert not Maintenance.objects.exists()


def test_a_reschedule_whose_text_keeps_the_old_window_is_warned_about_but_may_publish(
    signed_in, editor, imap
):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    client = signed_in(editor)
    new_start, new_end = ahead(6), ahead(6, 2)
    fields = {
        "scheduled_start": site_local(new_start),
        "scheduled_end": site_local(new_end),
        "body": f"Moved from {token(ahead(1), ahead(1, 2))}.",
    }

    shown = preview(client, maintenance, "reschedule", **fields)
    moved = preview(
        client, maintenance, "reschedule", **{**fields, "body": token(new_start, new_end)}
    )
    published = client.post(
        reverse("console:maintenance_act", args=[maintenance.pk, "reschedule"]),
        {"reschedule-version": maintenance.version}
        | {f"reschedule-{key}": value for key, value in fields.items()},
    )

    new_window, _others = timefmt.window_everywhere(new_start, new_end)
    assert f"but the window is {new_window}." in text_of(shown)
    assert "Check before publishing" not in text_of(moved)
    assert published.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.RESCHEDULED


def test_a_note_is_checked_against_the_window_of_its_maintenance(signed_in, editor, imap):
    maintenance = schedule_maintenance(start=ahead(1), end=ahead(1, 2), components=[imap])
    client = signed_in(editor)

    inside = preview(client, maintenance, "note", body=f"Back at {token(ahead(1, 1))}.")
    after = preview(client, maintenance, "note", body=f"Back at {token(ahead(1, 3))}.")

    assert "Check before publishing" not in text_of(inside)
    assert f"The text gives {token(ahead(1, 3))}" in text_of(after)
