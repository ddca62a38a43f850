"""The other language given with a publish: on the new rows, in its audit entry, checked as
`translate` checks it, and never needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

import actions
from incidents.models import AuditEntry, Incident, Maintenance, Post
from notifier.models import Notice
from tests.factories import open_incident, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def test_an_incident_opens_with_its_norwegian_title_and_body() -> None:
    incident = actions.open_incident(
        title="Webmail is slow",
        body="Logins take a minute.",
        translations={"nb": {"title": "Webmail er treg", "body": "Innlogging tar ett minutt."}},
    )
    assert incident.translations == {"nb": {"title": "Webmail er treg"}}
    assert incident.updates.get().translations == {"nb": {"body": "Innlogging tar ett minutt."}}
    entry = AuditEntry.objects.get(action="incident.opened")
    assert entry.after["title_nb"] == "Webmail er treg"
    assert entry.after["body_nb"] == "Innlogging tar ett minutt."
    assert "translations" not in entry.after


def test_an_update_and_a_maintenance_act_carry_their_norwegian_body() -> None:
    incident = open_incident()
    update = actions.post_incident_update(
        incident, status="identified", body="Found it.", translations={"nb": {"body": "Funnet."}}
    )
    assert update.translations == {"nb": {"body": "Funnet."}}
    assert AuditEntry.objects.get(action="incident.updated").after["body_nb"] == "Funnet."
    start = timezone.now() + timedelta(days=1)
    window = actions.schedule_maintenance(
        title="Database upgrade",
        body="We upgrade the database.",
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=2),
        translations={"nb": {"title": "Databaseoppgradering", "body": "Vi oppgraderer."}},
    )
    assert window.translations == {
        "nb": {"title": "Databaseoppgradering", "body": "Vi oppgraderer."}
    }
    assert window.updates.get().translations == {}
    assert AuditEntry.objects.get(action="maintenance.scheduled").after["title_nb"] == (
        "Databaseoppgradering"
    )
    note = actions.post_maintenance_note(
        window, body="UPDATE: on track.", translations={"nb": {"body": "OPPDATERING: i rute."}}
    )
    assert note.translations == {"nb": {"body": "OPPDATERING: i rute."}}
    assert AuditEntry.objects.get(action="maintenance.note").after["body_nb"] == (
        "OPPDATERING: i rute."
    )


def test_empty_texts_publish_as_without_a_translation() -> None:
    incident = actions.open_incident(
        title="Webmail is slow",
        body="Logins take a minute.",
        translations={"nb": {"title": "  ", "body": ""}},
    )
    assert incident.translations == {} and incident.updates.get().translations == {}
    assert not any(key.endswith("_nb") for key in AuditEntry.objects.get().after)


@pytest.mark.parametrize(
    ("translations", "field"),
    [
        ({"nb": {"title": "x" * 201, "body": "Treg\x1b[31m"}}, ["body_nb", "title_nb"]),
        ({"de": {"title": "Langsam"}}, ["translations"]),
        ({"en": {"title": "Slow"}}, ["translations"]),  # its own language is no translation
    ],
)
def test_a_bad_translation_refuses_the_whole_publish(translations, field) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.open_incident(title="Webmail is slow", body="Slow.", translations=translations)
    assert sorted(refused.value.message_dict) == field
    assert not Incident.objects.exists() and not Notice.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_bad_translation_of_a_maintenance_act_changes_nothing() -> None:
    start = timezone.now() + timedelta(days=1)
    window = schedule_maintenance(start=start, end=start + timedelta(hours=1))
    version = window.version
    with pytest.raises(ValidationError) as refused:
        actions.cancel_maintenance(
            window, body="Not needed.", translations={"nb": {"body": "\x00"}}
        )
    assert list(refused.value.message_dict) == ["body_nb"]
    window.refresh_from_db()
    assert window.status == "scheduled" and window.version == version
    assert not Maintenance.objects.get().updates.filter(status="cancelled").exists()


def test_editing_a_post_replaces_the_languages_given_and_keeps_the_rest() -> None:
    post = actions.save_post_draft(
        title="New spam filter",
        slug="spam",
        body="A new filter.",
        translations={"nb": {"title": "Nytt spamfilter", "body": "Et nytt filter."}},
    )
    assert post.translations == {"nb": {"title": "Nytt spamfilter", "body": "Et nytt filter."}}
    fields = {"title": "New spam filter", "slug": "spam", "body": "A new filter."}
    actions.update_post(post, **fields)
    post.refresh_from_db()
    assert post.translations["nb"]["title"] == "Nytt spamfilter", "None leaves them be"
    actions.update_post(post, **fields, translations={"nb": {"title": "Nytt filter"}})
    post.refresh_from_db()
    assert post.translations == {"nb": {"title": "Nytt filter"}}
    edited = AuditEntry.objects.filter(action="post.edited").latest("pk")
    assert (edited.before["body_nb"], edited.after.get("body_nb")) == ("Et nytt filter.", None)
    actions.update_post(post, **fields, translations={"nb": {"title": "", "body": ""}})
    assert Post.objects.get().translations == {}
