"""A promised next update: kept by the actions, shown on pages and in feeds, watched when late."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

import actions
from incidents import timefmt
from incidents.models import Incident, IncidentStatus, IncidentUpdate
from tests.factories import make_component, open_incident, oslo

pytestmark = [pytest.mark.django_db]


def promised(incident: Incident, when) -> IncidentUpdate:
    """Give the latest update a promise at a fixed time (the actions only take future ones)."""
    update = Incident.objects.get(pk=incident.pk).latest_update()
    assert update is not None
    IncidentUpdate.objects.filter(pk=update.pk).update(next_update_by=when)
    update.refresh_from_db()
    return update


# The actions


def test_opening_and_updating_keep_the_promise_given():
    soon = timezone.now() + timedelta(minutes=30)
    incident = actions.open_incident(title="Webmail is slow", body="Looking.", next_update_by=soon)
    assert incident.updates.get().next_update_by == soon

    later = timezone.now() + timedelta(hours=2)
    update = actions.post_incident_update(
        incident, status=IncidentStatus.IDENTIFIED, body="Found it.", next_update_by=later
    )
    assert update.next_update_by == later
    assert Incident.objects.get(pk=incident.pk).promised_update() == update


def test_an_update_without_a_promise_withdraws_the_last_one():
    incident = actions.open_incident(
        title="Webmail is slow", body="Looking.", next_update_by=actions.promise_in(30)
    )
    actions.post_incident_update(incident, status=IncidentStatus.IDENTIFIED, body="Found it.")
    assert Incident.objects.get(pk=incident.pk).promised_update() is None


def test_resolving_clears_the_promise_even_if_one_is_given():
    incident = actions.open_incident(
        title="Webmail is slow", body="Looking.", next_update_by=actions.promise_in(30)
    )
    update = actions.post_incident_update(
        incident,
        status=IncidentStatus.RESOLVED,
        body="Fixed.",
        next_update_by=actions.promise_in(60),
    )
    assert update.next_update_by is None
    assert Incident.objects.get(pk=incident.pk).promised_update() is None


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=-1), "must be promised for later"),
        (timedelta(days=8), "within a week"),
    ],
)
def test_a_promise_in_the_past_or_too_far_ahead_is_refused_and_nothing_is_written(offset, message):
    with pytest.raises(ValidationError) as caught:
        actions.open_incident(
            title="Webmail is slow", body="Looking.", next_update_by=timezone.now() + offset
        )
    assert message in caught.value.message_dict["next_update_by"][0]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("minutes", [4, 1441])
def test_a_promise_in_minutes_must_be_between_5_and_1440(minutes):
    with pytest.raises(ValidationError):
        actions.promise_in(minutes)


def test_a_promise_in_minutes_counts_from_the_given_now():
    assert actions.promise_in(30, now=oslo(2013, 1, 25, 0, 45)) == oslo(2013, 1, 25, 1, 15)


# Overdue


def test_overdue_lists_open_incidents_whose_latest_promise_has_passed():
    late = open_incident("Late")
    promised(late, oslo(2013, 1, 25, 1, 15))
    kept = open_incident("Not yet due")
    promised(kept, oslo(2013, 1, 25, 2, 0))
    open_incident("No promise")
    now = oslo(2013, 1, 25, 1, 30)

    assert list(Incident.objects.overdue(now)) == [late]
    assert Incident.objects.get(pk=late.pk).update_overdue_by(now) == timedelta(minutes=15)
    assert Incident.objects.get(pk=kept.pk).update_overdue_by(now) is None
    # One minute before the promise, nothing is late.
    assert not Incident.objects.overdue(oslo(2013, 1, 25, 1, 14)).exists()


def test_a_newer_update_or_a_resolution_ends_the_overdue_state():
    incident = open_incident("Late", at=oslo(2013, 1, 25, 0, 45))
    promised(incident, oslo(2013, 1, 25, 1, 15))
    now = oslo(2013, 1, 25, 2, 0)
    assert Incident.objects.overdue(now).exists()

    actions.post_incident_update(
        incident, status=IncidentStatus.IDENTIFIED, body="Found it.", posted_at=now
    )
    assert not Incident.objects.overdue(now).exists()

    promised(incident, oslo(2013, 1, 25, 2, 30))
    assert Incident.objects.overdue(oslo(2013, 1, 25, 3, 0)).exists()
    actions.resolve_incident(incident, body="Fixed.", posted_at=oslo(2013, 1, 25, 2, 50))
    assert not Incident.objects.overdue(oslo(2013, 1, 25, 3, 0)).exists()


# What readers see


def test_the_incident_page_and_the_status_page_say_when_the_next_update_comes(client):
    make_component("IMAP")
    incident = open_incident("Email services down", at=oslo(2013, 1, 25, 0, 45))
    promised(incident, oslo(2013, 1, 25, 1, 15))

    page = client.get(incident.get_absolute_url()).content.decode()
    status = client.get("/").content.decode()

    for html in (page, status):
        assert (
            'Next update by <time datetime="2013-01-25T00:15:00Z" data-local>01:15 CET</time>'
            in html
        )


def test_a_promise_on_another_day_than_its_update_carries_its_date(client):
    incident = open_incident("Email services down", at=oslo(2013, 1, 24, 23, 50))
    promised(incident, oslo(2013, 1, 25, 0, 20))

    html = client.get(incident.get_absolute_url()).content.decode()

    assert "Fri 25 Jan, 00:20 CET</time>" in html


def test_a_resolved_incident_shows_no_promise(client):
    incident = open_incident("Email services down", at=oslo(2013, 1, 25, 0, 45))
    promised(incident, oslo(2013, 1, 25, 1, 15))
    actions.resolve_incident(incident, body="Fixed.", posted_at=oslo(2013, 1, 25, 1, 0))
    # Even a promise left on an older update of a closed incident is not shown.
    IncidentUpdate.objects.filter(incident=incident).update(next_update_by=oslo(2013, 1, 25, 2))

    html = client.get(incident.get_absolute_url()).content.decode()

    assert "Next update by" not in html


def test_the_feeds_entry_text_carries_the_promise(client):
    incident = open_incident("Email services down", at=oslo(2013, 1, 25, 0, 45))
    promised(incident, oslo(2013, 1, 25, 1, 15))

    for url in ("/feed.atom", "/feed.rss", "/feed.json"):
        body = client.get(url).content.decode()
        assert "Next update by" in body and "01:15 CET" in body, url


def test_the_promise_is_written_in_the_zone_of_the_site(settings):
    settings.SITE_TIME_ZONE = "America/New_York"
    text = timefmt.next_update_text(oslo(2013, 1, 25, 1, 15), oslo(2013, 1, 25, 0, 45))
    assert text == "Next update by 19:15 EST"
