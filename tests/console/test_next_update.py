"""Promising the next update from the console, one tap or an exact time; late ones shown in red."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, IncidentUpdate
from tests.factories import open_incident

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
NEW_INCIDENT = {"title": "Webmail is slow", "impact": "minor", "status": "investigating"}


def clock(moment) -> str:
    local = moment.astimezone(OSLO)
    return f"{local:%H:%M} {local.tzname()}"


def clock_beside(moment, posted) -> str:
    """The card dates a promise that falls after midnight, Oslo time, of the day it was made."""
    local = moment.astimezone(OSLO)
    if local.date() == posted.astimezone(OSLO).date():
        return clock(moment)
    return f"{local:%a} {local.day} {local:%b}, {clock(moment)}"


def test_the_forms_offer_the_usual_intervals_as_radio_buttons_with_none_chosen(signed_in, editor):
    client = signed_in(editor)
    incident = open_incident()
    pages = [
        client.get(reverse("console:incident_new")),
        client.get(reverse("console:incident", args=[incident.pk])),
        client.get(
            reverse("console:incident_update_form", args=[incident.pk]), HTTP_HX_REQUEST="1"
        ),
    ]
    for page in pages:
        html = page.content.decode()
        for value, label in [("15", "15 min"), ("30", "30 min"), ("60", "1 h"), ("120", "2 h")]:
            assert f'type="radio" name="next_update_in" value="{value}"' in html
            assert f"<span>{label}</span>" in html
        assert "<span>4 h</span>" in html
        assert 'value="" id="id_next_update_in_5" checked' in html  # "None" chosen
        assert 'name="next_update_by"' in html and 'type="datetime-local"' in html


def test_one_tap_promises_the_next_update_in_that_many_minutes(signed_in, editor):
    before = timezone.now()

    response = signed_in(editor).post(
        reverse("console:incident_new"), {**NEW_INCIDENT, "body": "Slow.", "next_update_in": "30"}
    )

    assert response.status_code == 302
    promised = IncidentUpdate.objects.get().next_update_by
    assert before + timedelta(minutes=30) <= promised <= timezone.now() + timedelta(minutes=30)


def test_an_exact_time_is_read_in_the_site_zone(signed_in, editor):
    when = (timezone.now() + timedelta(hours=2)).astimezone(OSLO).replace(second=0, microsecond=0)

    signed_in(editor).post(
        reverse("console:incident_new"),
        {**NEW_INCIDENT, "body": "Slow.", "next_update_by": when.strftime("%Y-%m-%dT%H:%M")},
    )

    assert IncidentUpdate.objects.get().next_update_by == when


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"next_update_in": "30", "next_update_by": "FUTURE"}, "not both"),
        ({"next_update_by": "2013-01-25T01:15"}, "must be promised for later"),
        ({"next_update_in": "45"}, "not one of the available choices"),
    ],
)
def test_a_bad_promise_is_explained_on_the_form_and_nothing_is_published(
    signed_in, editor, extra, message
):
    if extra.get("next_update_by") == "FUTURE":
        later = timezone.now().astimezone(OSLO) + timedelta(hours=2)
        extra = {**extra, "next_update_by": later.strftime("%Y-%m-%dT%H:%M")}

    response = signed_in(editor).post(
        reverse("console:incident_new"), {**NEW_INCIDENT, "body": "Slow.", **extra}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Incident.objects.exists()


def test_the_preview_shows_the_promise(signed_in, editor):
    incident = open_incident()
    client = signed_in(editor)

    opening = client.post(
        reverse("console:incident_new_preview"),
        {**NEW_INCIDENT, "body": "Slow.", "next_update_in": "60"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    update = client.post(
        reverse("console:incident_update_preview", args=[incident.pk]),
        {
            "version": incident.version,
            "status": "identified",
            "body": "Found.",
            "next_update_in": "60",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()

    for html in (opening, update):
        assert "Next update by <time" in html
        # The X texts carry it too, each in its account's language.
        assert "Next update by " in html.split("<h3>X (Twitter) <")[1]
        assert "Neste oppdatering innen " in html.split("<h4>X (Twitter) in Norwegian")[1]


def test_an_update_from_the_dashboard_card_promises_the_next(signed_in, editor):
    incident = open_incident()

    response = signed_in(editor).post(
        reverse("console:incident_update", args=[incident.pk]),
        {
            "inline": "1",
            "status": "identified",
            "body": "Found the cause.",
            "version": incident.version,
            "next_update_in": "120",
        },
        HTTP_HX_REQUEST="true",
    )

    latest = incident.updates.order_by("-id").first()
    assert response.status_code == 200
    promised = clock_beside(latest.next_update_by, latest.posted_at)
    assert f"Next update promised by {promised}" in response.content.decode()


def test_the_dashboard_says_in_red_and_in_words_that_an_update_is_late(signed_in, editor):
    late = open_incident("Webmail is slow")
    promise = timezone.now() - timedelta(minutes=17, seconds=5)
    IncidentUpdate.objects.filter(incident=late).update(next_update_by=promise)
    on_time = open_incident("IMAP is slow")
    IncidentUpdate.objects.filter(incident=on_time).update(
        next_update_by=timezone.now() + timedelta(minutes=20)
    )

    html = signed_in(editor).get(reverse("console:dashboard")).content.decode()

    card = html.split(f'id="incident-{late.pk}"')[1].split("</article>")[0]
    assert '<p class="overdue" role="status">Update overdue by 17 min (promised ' in card
    posted = late.updates.order_by("-id").first().posted_at
    assert f"{clock_beside(promise, posted)})</p>" in card
    other = html.split(f'id="incident-{on_time.pk}"')[1].split("</article>")[0]
    assert "overdue" not in other and "Next update promised by" in other
