"""What a new reader of the public pages misread (issue 12, defect 9), read right."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

import actions
from incidents import timefmt
from incidents.templatetags.statuspage import duration_text
from tests.factories import open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# How long an incident lasted


def test_an_incident_resolved_in_the_minute_it_began_lasted_less_than_a_minute(client):
    blip = open_incident("Blip", at=oslo(2013, 2, 1, 9, 0))
    actions.resolve_incident(blip, body="Gone again.", posted_at=oslo(2013, 2, 1, 9, 0))

    assert "lasted less than a minute" in page(client, "/history/")
    assert "(after less than a minute)" in page(client, f"/incidents/{blip.pk}/")


def test_a_duration_reads_in_words_and_a_negative_one_not_at_all():
    assert duration_text(timedelta(0)) == "less than a minute"
    assert duration_text(timedelta(seconds=59)) == "less than a minute"
    assert duration_text(timedelta(hours=2, minutes=15)) == "2 h 15 min"
    assert duration_text(timedelta(minutes=-5)) == ""
    assert duration_text(None) == ""


# A rescheduled window


def test_a_rescheduled_window_shows_the_new_window_first_and_marks_the_old_one_superseded(
    client,
):
    work = schedule_maintenance(
        start=oslo(2040, 3, 1, 6, 0),
        end=oslo(2040, 3, 1, 7, 0),
        body="Mail stops on **Thursday 1 March, 06:00–07:00 CET**.",
    )
    actions.reschedule_maintenance(
        work,
        scheduled_start=oslo(2040, 4, 1, 6, 0),
        scheduled_end=oslo(2040, 4, 1, 7, 0),
        body="Moved by a month.",
    )

    html = page(client, f"/maintenance/{work.pk}/")
    main = html.split("<main")[1]

    new, old = "Sun 1 Apr 2040, 06:00–07:00 CEST", "Thu 1 Mar 2040, 06:00–07:00 CET"
    assert main.index(new) < main.index(old) < main.index("<strong>Thursday 1 March")
    assert re.search(r"<dt>Current window</dt>\s*<dd[^>]*>\s*<div class=\"window\"", main)
    earlier = main.split("<dt>Earlier windows</dt>")[1].split("</dd>")[0]
    assert re.search(rf"Superseded:</span>\s*<del>.*?{old}.*?</del>", earlier, re.S)
    announcement = main.split('<h2 id="announcement">Original announcement</h2>')[1]
    note = announcement.split("</p>")[0]
    assert "Superseded:" in note
    assert re.search(rf"<del><time [^>]*>{old}</time></del>", note)
    assert re.search(rf"rescheduled to <time [^>]*>{new}</time>", note)
    assert main.index("Superseded:") < main.index("<strong>Thursday 1 March")


def test_a_window_never_moved_has_no_superseded_marks(client):
    work = schedule_maintenance(start=oslo(2040, 3, 1, 6, 0), end=oslo(2040, 3, 1, 7, 0))

    html = page(client, f"/maintenance/{work.pk}/")

    assert "Superseded" not in html and "<del>" not in html and "Original announcement" not in html
    assert "<dt>Window</dt>" in html


def test_a_postponed_window_marks_its_announcement_superseded(client):
    start = timezone.now() - timedelta(minutes=30)
    work = schedule_maintenance(start=start, end=start + timedelta(hours=1))
    actions.start_maintenance(work)
    actions.postpone_maintenance(work, body="Reverted; a new time will follow.")

    html = page(client, f"/maintenance/{work.pk}/")

    note = html.split('<h2 id="announcement">Original announcement</h2>')[1].split("</p>")[0]
    assert "Superseded:" in note and "postponed" in note and "<del><time" in note


# When the status last changed


def test_the_banner_states_the_last_change_with_its_date_and_zone_even_today(client):
    incident = open_incident("Webmail is slow")

    html = page(client, "/")

    stamp = timefmt.stamp(incident.updated_at)
    banner = html.split('<section class="banner')[1].split("</section>")[0]
    assert re.search(
        rf"<p>Last change: <time datetime=\"[^\"]+Z\" data-local>{stamp}</time></p>", banner
    )
    assert "As of" not in html
    footer = html.split('<footer class="site-footer">')[1]
    assert re.search(rf"Updated <time datetime=\"[^\"]+Z\" data-local>{stamp}</time>", footer)


def test_a_change_on_an_earlier_day_reads_the_same_way(client):
    open_incident("Old blip", at=oslo(2013, 2, 1, 9, 0))

    html = page(client, "/")

    assert "Last change: <time" in html and "Fri 1 Feb 2013, 09:00 CET</time>" in html
