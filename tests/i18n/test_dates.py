"""Dates and times in each language's form, zones as always, across the DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from incidents import timefmt


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Fri 25 Jan 2013, 00:15 CET"), ("nb", "fre. 25. jan. 2013, 00:15 CET")],
)
def test_a_stamp_in_each_language(language: str, expected: str) -> None:
    with translation.override(language):
        assert timefmt.stamp(at(2013, 1, 24, 23, 15)) == expected


@pytest.mark.parametrize(
    ("instant", "english", "norwegian"),
    [
        # Oslo's spring change, 31 March 2013: 02:00 CET became 03:00 CEST.
        (at(2013, 3, 31, 0, 59), "Sun 31 Mar 2013, 01:59 CET", "søn. 31. mar. 2013, 01:59 CET"),
        (at(2013, 3, 31, 1, 0), "Sun 31 Mar 2013, 03:00 CEST", "søn. 31. mar. 2013, 03:00 CEST"),
        # The autumn change, 27 October 2013: 03:00 CEST became 02:00 CET, 02:30 came twice.
        (at(2013, 10, 27, 0, 30), "Sun 27 Oct 2013, 02:30 CEST", "søn. 27. okt. 2013, 02:30 CEST"),
        (at(2013, 10, 27, 1, 30), "Sun 27 Oct 2013, 02:30 CET", "søn. 27. okt. 2013, 02:30 CET"),
    ],
)
def test_stamps_around_the_dst_changes(instant: datetime, english: str, norwegian: str) -> None:
    with translation.override("en"):
        assert timefmt.stamp(instant) == english
    with translation.override("nb"):
        assert timefmt.stamp(instant) == norwegian


def test_a_window_across_the_spring_change_in_norwegian() -> None:
    with translation.override("nb"):
        main, _ = timefmt.window_everywhere(at(2013, 3, 31, 0, 30), at(2013, 3, 31, 1, 30))
    assert main == "søn. 31. mar. 2013, 01:30 CET – 03:30 CEST"


def test_every_day_and_month_has_its_norwegian_name() -> None:
    with translation.override("nb"):
        days = [timefmt.day(date(2013, 1, 21) + timedelta(days=n), year=False) for n in range(7)]
        months = [timefmt.month(date(2013, n, 1)) for n in range(1, 13)]
    assert days == [
        "man. 21. jan.", "tir. 22. jan.", "ons. 23. jan.", "tor. 24. jan.",
        "fre. 25. jan.", "lør. 26. jan.", "søn. 27. jan.",
    ]  # fmt: skip
    assert months[0] == "januar 2013" and months[4] == "mai 2013" and months[11] == "desember 2013"
    with translation.override("en"):
        assert timefmt.month(date(2013, 5, 1)) == "May 2013"


def test_the_next_update_promise_and_a_lead_time_in_norwegian() -> None:
    posted = at(2013, 1, 24, 23, 45)
    with translation.override("nb"):
        assert timefmt.next_update_text(posted + timedelta(minutes=30), posted) == (
            "Neste oppdatering innen 01:15 CET"
        )
        assert timefmt.lead_text(timedelta(hours=30)) == "1 dag 6 timer"
        assert timefmt.lead_text(timedelta(minutes=1)) == "1 minutt"
    with translation.override("en"):
        assert timefmt.lead_text(timedelta(hours=30)) == "1 day 6 hours"
