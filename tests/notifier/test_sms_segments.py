"""What an SMS costs: GSM-7 or UCS-2, and how many parts; notices cut to fit three."""

from __future__ import annotations

import pytest

import actions
from notifier.channels.sms import sms_text
from notifier.models import Notice, NoticeKind
from notifier.sms.segments import GSM7, UCS2, Segments, plain, segments
from tests.factories import make_component, oslo, schedule_maintenance, utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments(1, GSM7)),
        ("a" * 160, Segments(1, GSM7)),
        ("a" * 161, Segments(2, GSM7)),
        ("a" * 306, Segments(2, GSM7)),
        ("a" * 307, Segments(3, GSM7)),
        # Norwegian letters are GSM-7 basic characters: one septet each.
        ("Blåbærsyltetøy på Ærø og Østfold" * 5, Segments(1, GSM7)),
        ("æøåÆØÅ" * 26 + "æøå", Segments(1, GSM7)),
        # The extension table's characters take two septets: 80 euros fill one message.
        ("€" * 80, Segments(1, GSM7)),
        ("€" * 81, Segments(2, GSM7)),
        ("{[~]}|^\\" * 10, Segments(1, GSM7)),
        ("{[~]}|^\\" * 10 + "a", Segments(2, GSM7)),
        # A two-septet character is not split: 152 + € does not fit the first part's 153.
        ("a" * 152 + "€" + "a" * 10, Segments(2, GSM7)),
        ("a" * 152 + "€" + "a" * 153, Segments(3, GSM7)),
        # One character outside GSM-7 makes it all UCS-2, 70 (then 67) per part.
        ("ç" * 70, Segments(1, UCS2)),
        ("a" * 69 + "’", Segments(1, UCS2)),
        ("a" * 70 + "’", Segments(2, UCS2)),
        ("Ω" * 10 + "д", Segments(1, UCS2)),
        # An emoji is a surrogate pair (two UTF-16 units), never split across parts.
        ("😀" * 35, Segments(1, UCS2)),
        ("😀" * 36, Segments(2, UCS2)),
        ("a" * 68 + "😀", Segments(1, UCS2)),
        ("a" * 69 + "😀", Segments(2, UCS2)),
        # 134 units would be two parts of 67, but the pair cannot straddle the first two.
        ("a" * 66 + "😀" + "a" * 66, Segments(3, UCS2)),
    ],
)
def test_encoding_and_parts(text: str, expected: Segments) -> None:
    assert segments(text) == expected


def test_typographic_characters_become_their_gsm7_forms() -> None:
    assert plain("It’s “fixed” – mostly… 10\u00a0%") == 'It\'s "fixed" - mostly... 10 %'
    assert str(segments(plain("’" * 100))) == "1 SMS segment, GSM-7"


@pytest.mark.django_db
def test_a_long_update_is_cut_between_words_to_fit_three_parts() -> None:
    incident = actions.open_incident(
        title="Webmail is slow",
        body="We are looking into it. " * 40 + "\n\nSecond paragraph never sent.",
        impact="minor",
        component_statuses={make_component("Webmail"): "degraded_performance"},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    text = sms_text(Notice.objects.get(incident=incident))
    assert segments(text) == Segments(3, GSM7)
    assert text.startswith("[Runbox Status] Investigating: Webmail is slow - We are looking")
    assert text.endswith(
        f"... (00:15 CET)\nhttp://127.0.0.1:8000/incidents/{incident.pk}/\n"
        "Reply STOP to unsubscribe"
    )
    assert "Second paragraph" not in text
    body = text.split(" - ", 1)[1].split("... (", 1)[0]
    assert body.endswith(("looking", "into", "it", "We", "are"))


@pytest.mark.django_db
def test_an_emoji_makes_it_ucs2_and_it_still_fits_three_parts() -> None:
    incident = actions.open_incident(
        title="Webmail is slow 🐢",
        body="Logins take a minute. " * 20,
        impact="minor",
        posted_at=oslo(2013, 1, 25, 0, 15),
    )
    actions.resolve_incident(incident, body="Fast again.", posted_at=oslo(2013, 1, 25, 1, 0))
    opened, resolved = Notice.objects.filter(incident=incident).order_by("id")
    assert segments(sms_text(opened)) == Segments(3, UCS2)
    assert sms_text(resolved) == (
        "[Runbox Status] Resolved: Webmail is slow 🐢 - Fast again. (01:00 CET)\n"
        f"http://127.0.0.1:8000/incidents/{incident.pk}/\nReply STOP to unsubscribe"
    )
    assert segments(sms_text(resolved)) == Segments(2, UCS2)


@pytest.mark.django_db
def test_a_maintenance_starting_says_so_with_its_time_and_zone() -> None:
    work = schedule_maintenance(
        title="Database upgrade",
        start=utc(2040, 1, 12, 5, 30),
        end=utc(2040, 1, 12, 7, 30),
        at=utc(2040, 1, 1),
    )
    actions.start_maintenance(work, posted_at=utc(2040, 1, 12, 5, 30))
    started = Notice.objects.get(maintenance=work, kind=NoticeKind.MAINTENANCE_STARTED)
    text = sms_text(started)
    assert text.startswith("[Runbox Status] In progress: Database upgrade")
    assert f"(06:30 CET)\nhttp://127.0.0.1:8000/maintenance/{work.pk}/\n" in text


@pytest.mark.django_db
def test_a_title_too_long_for_three_parts_is_cut_and_the_link_stays() -> None:
    incident = actions.open_incident(title="Slow " * 120, body="Looking.", impact="minor")
    text = sms_text(Notice.objects.get(incident=incident))
    assert segments(text) == Segments(3, GSM7)
    assert text.startswith("[Runbox Status] Investigating: Slow Slow")
    assert "Looking" not in text
    assert text.endswith(f"/incidents/{incident.pk}/\nReply STOP to unsubscribe")
