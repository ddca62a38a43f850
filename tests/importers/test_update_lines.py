"""The update-line heuristic: times with their zone, AM/PM, the post's day, past midnight."""

from __future__ import annotations

from datetime import UTC, datetime

from importers.update_lines import split_updates
from tests.factories import oslo


def times(content: str, posted_at: datetime) -> list[datetime]:
    return [update.at.astimezone(UTC) for update in split_updates(content, posted_at).updates]


def test_am_and_pm_with_cet_on_the_posts_day():
    content = (
        "Intro.\n\nUPDATE 07:10 AM CET: stopped.\n\nUPDATE 12:05 PM CET: noon.\n\n"
        "UPDATE 12:30 AM CET: next night."
    )
    assert times(content, oslo(2012, 12, 12, 7, 0)) == [
        oslo(2012, 12, 12, 7, 10),
        oslo(2012, 12, 12, 12, 5),
        oslo(2012, 12, 13, 0, 30),  # 12:30 AM after noon: past midnight
    ]


def test_each_abbreviation_gives_its_offset():
    content = (
        "UPDATE 10:00 CEST: a\n\nUPDATE 09:00 UTC: b\n\nUPDATE 10:00 GMT: c\n\n"
        "UPDATE 6:00 AM EST: d\n\nUPDATE 4:00 AM PDT: e"
    )
    assert times(content, datetime(2014, 6, 1, 7, 30, tzinfo=UTC)) == [
        datetime(2014, 6, 1, 8, 0, tzinfo=UTC),
        datetime(2014, 6, 1, 9, 0, tzinfo=UTC),
        datetime(2014, 6, 1, 10, 0, tzinfo=UTC),
        datetime(2014, 6, 1, 11, 0, tzinfo=UTC),
        datetime(2014, 6, 1, 11, 0, tzinfo=UTC),
    ]


def test_updates_after_midnight_move_to_the_next_day():
    content = "Down.\n\nUPDATE 23:50 CET: looking.\n\nUPDATE 00:45 CET: found it."
    assert times(content, oslo(2013, 1, 24, 23, 30)) == [
        oslo(2013, 1, 24, 23, 50),
        oslo(2013, 1, 25, 0, 45),
    ]


def test_a_date_written_in_the_line_is_used():
    content = "Announcement.\n\nUPDATE 12.12.2012 7 AM CET: Please go to the blog."
    assert times(content, oslo(2012, 12, 10, 12, 0)) == [oslo(2012, 12, 12, 7, 0)]


def test_paragraphs_without_a_zone_stay_in_the_text():
    split = split_updates(
        "Intro.\n\nUPDATE: delisted.\n\nUpdate 01.04.2014:\n\n7:00 we start.",
        oslo(2014, 3, 27, 9, 0),
    )
    assert split.updates == []
    assert split.intro.endswith("7:00 we start.")


def test_text_after_an_update_belongs_to_it_and_the_written_time_is_kept():
    split = split_updates(
        "<strong>8:05 AM CET:</strong> Almost done.\n\nMore words.", oslo(2012, 12, 20, 7, 0)
    )
    (update,) = split.updates
    assert update.written == "8:05 AM CET"
    assert update.body == "Almost done.\n\nMore words."
    assert split.intro == ""
