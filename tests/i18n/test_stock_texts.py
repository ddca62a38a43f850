"""What an act writes when staff write nothing, in both languages: the periodic task's start and
completion, an act left with the console's offered words, and text staff wrote left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

import actions
from actions.stock_texts import STARTED_TEXT, VERIFYING_TEXT
from incidents.models import MaintenanceUpdate
from tests.factories import schedule_maintenance, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

START = utc(2024, 6, 3, 4, 0)
END = START + timedelta(hours=2)


def texts(update: MaintenanceUpdate) -> tuple[str, str, str]:
    update.refresh_from_db()
    return update.language, update.body, update.localized("body", "nb")


def test_the_periodic_task_writes_its_start_and_end_in_both_languages():
    work = schedule_maintenance(start=START, end=END)
    started, completed = actions.advance_maintenance(END + timedelta(minutes=1))
    assert texts(started) == (
        "en",
        "The scheduled maintenance has started.",
        "Det planlagte vedlikeholdet har startet.",
    )
    assert texts(completed)[1:] == (
        "The scheduled maintenance has been completed.",
        "Det planlagte vedlikeholdet er fullført.",
    )
    assert started.localized("body", "nb").lang == "nb"  # not marked untranslated
    assert {update.pk for update in work.timeline()} >= {started.pk, completed.pk}


def test_an_act_left_with_the_offered_words_is_written_in_both_languages():
    work = schedule_maintenance(start=START, end=END)
    # As the console offers it, whichever language the console was showing.
    with translation.override("nb"):
        offered = str(STARTED_TEXT)
    started = actions.start_maintenance(work, body=offered, posted_at=START)
    assert texts(started) == ("en", "The maintenance has started.", "Vedlikeholdet har startet.")
    verifying = actions.verify_maintenance(work, body="", posted_at=START + timedelta(hours=1))
    with translation.override("nb"):
        assert texts(verifying)[2] == str(VERIFYING_TEXT)
    assert (
        texts(verifying)[1]
        == "The work is done; we are verifying that everything works as it should."
    )


def test_a_norwegian_text_staff_gave_stays_theirs():
    work = schedule_maintenance(start=START, end=END)
    started = actions.start_maintenance(
        work,
        body="",
        posted_at=START,
        translations={"nb": {"body": "Vi har begynt, litt tidligere enn planlagt."}},
    )
    assert texts(started)[1:] == (
        "The maintenance has started.",
        "Vi har begynt, litt tidligere enn planlagt.",
    )


def test_text_staff_wrote_gets_no_stock_translation():
    work = schedule_maintenance(start=START, end=END)
    started = actions.start_maintenance(
        work, body="We began with the IMAP servers.", posted_at=START
    )
    _, body, norwegian = texts(started)
    assert body == norwegian == "We began with the IMAP servers."
    assert started.localized("body", "nb").lang == "en"  # shown as not translated, as it is


def test_a_site_whose_own_language_is_norwegian_writes_the_norwegian_first(settings):
    settings.LANGUAGE_CODE = "nb"
    work = schedule_maintenance(start=START, end=END)
    started = actions.start_maintenance(work, posted_at=START)
    started.refresh_from_db()
    assert started.body == "Vedlikeholdet har startet."
    assert started.localized("body", "en") == "The maintenance has started."
