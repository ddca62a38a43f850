from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incidents import timefmt
from incidents.timefmt import WindowInZone
from tests.factories import oslo, utc

NEW_YORK = timefmt.zone("America/New_York")
LOS_ANGELES = timefmt.zone("America/Los_Angeles")


def texts(others: list[WindowInZone]) -> dict[str, str]:
    return {other.zone_name: other.text for other in others}


def test_it_shows_the_winter_seed_window_in_oslo_and_the_extra_zones():
    main, others = timefmt.window_everywhere(oslo(2012, 12, 20, 6, 30), oslo(2012, 12, 20, 8, 30))

    assert main == "Thu 20 Dec 2012, 06:30–08:30 CET"
    assert texts(others) == {
        "UTC": "05:30–07:30 UTC",
        "America/New_York": "00:30–02:30 EST",
        "America/Los_Angeles": "21:30–23:30 PST Wed 19 Dec",
    }


def test_it_shows_the_summer_seed_window_with_summer_abbreviations():
    main, others = timefmt.window_everywhere(oslo(2015, 10, 12, 6, 0), oslo(2015, 10, 12, 6, 45))

    assert main == "Mon 12 Oct 2015, 06:00–06:45 CEST"
    assert texts(others) == {
        "UTC": "04:00–04:45 UTC",
        "America/New_York": "00:00–00:45 EDT",
        "America/Los_Angeles": "21:00–21:45 PDT Sun 11 Oct",
    }


def test_it_keeps_the_extra_zones_in_settings_order():
    _, others = timefmt.window_everywhere(oslo(2012, 12, 20, 6, 30), oslo(2012, 12, 20, 8, 30))

    assert [o.zone_name for o in others] == ["UTC", "America/New_York", "America/Los_Angeles"]


def test_it_converts_six_in_the_evening_in_oslo_to_noon_in_new_york():
    assert timefmt.clock(oslo(2014, 1, 9, 18, 0), NEW_YORK) == "12:00 EST"


def test_it_writes_clock_stamp_day_and_utc_iso():
    moment = oslo(2013, 1, 25, 0, 45)

    assert timefmt.clock(moment) == "00:45 CET"
    assert timefmt.stamp(moment) == "Fri 25 Jan 2013, 00:45 CET"
    assert timefmt.day(moment) == "Fri 25 Jan 2013"
    assert timefmt.day(moment, year=False) == "Fri 25 Jan"
    assert timefmt.day(date(2013, 1, 25)) == "Fri 25 Jan 2013"
    assert timefmt.iso_utc(moment) == "2013-01-24T23:45:00Z"


def test_its_machine_readable_stamps_carry_milliseconds_at_most():
    # HTML's "valid global date and time string" allows 1-3 fractional digits, not six.
    moment = datetime(2013, 1, 24, 23, 45, 7, 123456, tzinfo=UTC)
    assert timefmt.iso_utc(moment) == "2013-01-24T23:45:07.123Z"


def test_it_names_the_date_in_the_site_zone_not_in_utc():
    # 23:30 UTC on the 24th is already the 25th in Oslo.
    assert timefmt.stamp(utc(2013, 1, 24, 23, 30)) == "Fri 25 Jan 2013, 00:30 CET"


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 3, 29, 0, 59), "01:59 CET"),
        (utc(2026, 3, 29, 1, 0), "03:00 CEST"),
        (utc(2026, 10, 25, 0, 59), "02:59 CEST"),
        (utc(2026, 10, 25, 1, 0), "02:00 CET"),
    ],
)
def test_it_switches_abbreviation_at_the_oslo_dst_change(instant, expected):
    assert timefmt.clock(instant) == expected


def test_it_shows_both_abbreviations_for_a_window_across_the_spring_change():
    main, others = timefmt.window_everywhere(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30))

    assert main == "Sun 29 Mar 2026, 01:30 CET – 03:30 CEST"
    assert texts(others)["UTC"] == "00:30–01:30 UTC"
    # New York moved to summer time three weeks earlier; there it is still Saturday.
    assert texts(others)["America/New_York"] == "20:30–21:30 EDT Sat 28 Mar"


def test_it_shows_both_abbreviations_for_a_window_across_the_autumn_change():
    main, others = timefmt.window_everywhere(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30))

    # The same wall-clock time twice: only the abbreviations tell them apart.
    assert main == "Sun 25 Oct 2026, 02:30 CEST – 02:30 CET"
    assert texts(others)["UTC"] == "00:30–01:30 UTC"


def test_it_follows_the_us_dst_date_while_oslo_is_still_on_winter_time():
    usual, early_summer = oslo(2026, 3, 5, 18, 0), oslo(2026, 3, 10, 18, 0)

    assert timefmt.clock(early_summer) == "18:00 CET"
    assert timefmt.clock(early_summer, NEW_YORK) == "13:00 EDT"
    assert timefmt.clock(usual, NEW_YORK) == "12:00 EST"

    def gap(moment: datetime) -> timedelta:
        oslo_offset = timefmt.in_zone(moment).utcoffset()
        return oslo_offset - timefmt.in_zone(moment, NEW_YORK).utcoffset()

    assert gap(early_summer) == timedelta(hours=5)
    assert gap(usual) == timedelta(hours=6)


def test_it_shows_both_dates_for_a_window_across_midnight():
    main, others = timefmt.window_everywhere(oslo(2012, 12, 20, 23, 0), oslo(2012, 12, 21, 1, 0))

    assert main == "Thu 20 Dec 2012, 23:00 CET – Fri 21 Dec 2012, 01:00 CET"
    assert texts(others)["UTC"] == "Thu 20 Dec 22:00 UTC – Fri 21 Dec 00:00 UTC"
    assert texts(others)["America/New_York"] == "17:00–19:00 EST"


def test_it_dates_an_extra_zone_whose_whole_window_is_on_another_day():
    text = timefmt.window_text(
        oslo(2012, 12, 20, 6, 30),
        oslo(2012, 12, 20, 8, 30),
        LOS_ANGELES,
        reference=date(2012, 12, 20),
    )

    assert text == "21:30–23:30 PST Wed 19 Dec"


NAIVE = datetime(2013, 1, 25, 0, 45)


@pytest.mark.parametrize(
    "write",
    [
        timefmt.clock,
        timefmt.stamp,
        timefmt.day,
        timefmt.abbreviation,
        timefmt.in_zone,
        timefmt.iso_utc,
        lambda moment: timefmt.window_everywhere(moment, moment + timedelta(hours=1)),
    ],
    ids=["clock", "stamp", "day", "abbreviation", "in_zone", "iso_utc", "window_everywhere"],
)
def test_it_refuses_naive_datetimes(write):
    with pytest.raises(ValueError, match="naive"):
        write(NAIVE)


def test_it_follows_the_site_zone_and_extra_zones_from_settings(settings):
    settings.SITE_TIME_ZONE = "America/New_York"
    settings.EXTRA_TIME_ZONES = ["Europe/Oslo", "America/New_York"]

    main, others = timefmt.window_everywhere(oslo(2012, 12, 20, 6, 30), oslo(2012, 12, 20, 8, 30))

    assert main == "Thu 20 Dec 2012, 00:30–02:30 EST"
    # The site zone is not repeated among the extras.
    assert texts(others) == {"Europe/Oslo": "06:30–08:30 CET"}
    assert timefmt.clock(oslo(2014, 1, 9, 18, 0)) == "12:00 EST"
