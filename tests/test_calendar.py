"""The maintenance calendar as a calendar client reads it back (icalendar)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from icalendar import Calendar

import actions
from incidents.models import Maintenance
from tests.factories import OSLO, make_component, oslo, schedule_maintenance, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def events(client) -> dict[str, object]:
    response = client.get("/maintenance.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//Runbox Status//")
    found = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT"))  # one event per window
    return found


def test_the_demo_s_rescheduled_december_window_is_one_event_on_its_new_date(client):
    call_command("load_demo", verbosity=0)
    december = Maintenance.objects.get(title="Scheduled database replacement and downtime")

    found = events(client)

    event = found[f"maintenance-{december.pk}@127.0.0.1"]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert start.astimezone(OSLO) == oslo(2012, 12, 20, 6, 30)
    assert start.astimezone(OSLO).tzname() == "CET"
    assert end.astimezone(OSLO) == oslo(2012, 12, 20, 8, 30)
    assert event["SEQUENCE"] == 2  # postponed (TENTATIVE), then rescheduled
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Runbox Status: Scheduled database replacement and downtime"
    assert str(event["URL"]) == f"http://127.0.0.1:8000/maintenance/{december.pk}/"
    assert len(found) == Maintenance.objects.count() == 3


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence(client):
    maintenance = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30))
    (before,) = events(client).values()

    actions.reschedule_maintenance(
        maintenance,
        scheduled_start=oslo(2040, 1, 19, 6, 30),
        scheduled_end=oslo(2040, 1, 19, 8, 30),
        body="A week later.",
    )

    (after,) = events(client).values()
    assert str(after["UID"]) == str(before["UID"])
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert after.decoded("DTSTART") == oslo(2040, 1, 19, 6, 30)
    assert after.decoded("DTSTAMP") >= before.decoded("DTSTAMP")  # second resolution


def test_a_cancelled_window_stays_with_status_cancelled(client):
    maintenance = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30))
    actions.cancel_maintenance(maintenance, body="Not needed after all.")

    (event,) = events(client).values()

    assert str(event["STATUS"]) == "CANCELLED"


def test_a_postponed_window_is_tentative_until_it_gets_a_new_date(client):
    start = timezone.now() - timedelta(minutes=30)
    maintenance = schedule_maintenance(start=start, end=start + timedelta(hours=1))
    actions.start_maintenance(maintenance)
    actions.postpone_maintenance(maintenance, body="Reverted.")

    (event,) = events(client).values()

    assert str(event["STATUS"]) == "TENTATIVE"


def test_an_event_says_what_is_affected_and_where_to_read_more(client):
    imap = make_component("IMAP")
    maintenance = schedule_maintenance(
        "Storage migration",
        start=oslo(2040, 1, 12, 6, 30),
        end=oslo(2040, 1, 12, 8, 30),
        components=[imap],
        body="Moving mailboxes; expect short interruptions.",
    )

    (event,) = events(client).values()

    description = str(event["DESCRIPTION"])
    assert "Moving mailboxes; expect short interruptions." in description
    assert "Affects: IMAP." in description
    assert f"/maintenance/{maintenance.pk}/" in description
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)
    assert event.decoded("DTSTART") == utc(2040, 1, 12, 5, 30)
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_an_empty_site_serves_an_empty_valid_calendar(client):
    assert events(client) == {}


def test_an_event_describes_the_window_in_plain_text_with_links_spelled_out(client):
    maintenance = schedule_maintenance(
        start=oslo(2040, 1, 12, 6, 30),
        end=oslo(2040, 1, 12, 8, 30),
        body="### What changes\n\nMail is **queued**, not lost, for *AT&T* users.\n\n"
        "- Webmail: read only\n- IMAP: > 5 min pauses\n\n"
        "See [the FAQ](https://help.runbox.com/faq?a=1&b=2).",
    )

    (event,) = events(client).values()

    description = str(event["DESCRIPTION"])
    assert description.startswith(
        "What changes\n\nMail is queued, not lost, for AT&T users.\n\n"
        "- Webmail: read only\n- IMAP: > 5 min pauses\n\n"
        "See the FAQ (https://help.runbox.com/faq?a=1&b=2).\n\n"
    )
    for markup in ("**", "###", "&amp;", "&gt;", "<", "]("):
        assert markup not in description
    assert f"/maintenance/{maintenance.pk}/" in description


def test_dtstamp_is_when_the_calendar_was_produced_rfc_5545_3_8_7_2(client):
    """RFC 5545 3.8.7.2: with METHOD present, DTSTAMP is when the iCalendar object was created.

    The calendar is produced anew by the latest change to any window, so every event carries
    that moment, while LAST-MODIFIED stays when its own window last changed.
    """
    early = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30))
    late = schedule_maintenance(start=oslo(2040, 2, 12, 6, 30), end=oslo(2040, 2, 12, 8, 30))
    Maintenance.objects.filter(pk=early.pk).update(updated_at=utc(2030, 1, 1, 0, 0))
    Maintenance.objects.filter(pk=late.pk).update(updated_at=utc(2030, 3, 1, 0, 0))

    found = events(client)

    first = found[f"maintenance-{early.pk}@127.0.0.1"]
    second = found[f"maintenance-{late.pk}@127.0.0.1"]
    assert first.decoded("LAST-MODIFIED") == utc(2030, 1, 1, 0, 0)
    assert second.decoded("LAST-MODIFIED") == utc(2030, 3, 1, 0, 0)
    assert first.decoded("DTSTAMP") == second.decoded("DTSTAMP") == utc(2030, 3, 1, 0, 0)


def test_a_cancellation_raises_the_sequence_rfc_5545_3_8_7_4(client):
    """RFC 5545 3.8.7.4: SEQUENCE goes up with each significant revision, STATUS included."""
    maintenance = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30))
    actions.cancel_maintenance(maintenance, body="Not needed after all.")

    (event,) = events(client).values()

    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    maintenance.refresh_from_db()
    assert maintenance.sequence == 1


def test_a_postponement_raises_the_sequence_rfc_5545_3_8_7_4(client):
    """The window's STATUS becomes TENTATIVE: a revision calendars must apply (3.8.7.4)."""
    maintenance = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8, 30))
    actions.start_maintenance(maintenance, body="Started.", posted_at=oslo(2040, 1, 12, 6, 30))
    actions.postpone_maintenance(maintenance, body="Reverted.", posted_at=oslo(2040, 1, 12, 7, 0))

    (event,) = events(client).values()

    assert str(event["STATUS"]) == "TENTATIVE"
    assert event["SEQUENCE"] == 1
