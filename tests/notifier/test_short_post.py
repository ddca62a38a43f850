"""Post texts for X and Mastodon fit by each network's own count, whatever staff write."""

from __future__ import annotations

import re
import unicodedata

import pytest

import actions
from incidents.models import ComponentStatus, IncidentStatus
from notifier.channels.mastodon import MastodonChannel
from notifier.channels.x import XChannel, x_length
from notifier.models import Notice
from notifier.notice_text import short_post
from tests.factories import make_component, oslo

pytestmark = [pytest.mark.django_db]

# The test's own count, written apart from the code under test: X counts every link as 23
# (bare domains too) and anything outside Latin, punctuation and a few symbols as 2.
LINKS = re.compile(r"https?://\S+|\b[\w-]+\.(?:com|no|net|org|jp)\b(?:/\S*)?")


def tweet_length(text: str) -> int:
    text = LINKS.sub("L" * 23, unicodedata.normalize("NFC", text))
    light = [(0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037)]
    return sum(1 if any(a <= ord(c) <= b for a, b in light) else 2 for c in text)


def toot_length(text: str) -> int:
    return len(re.sub(r"https?://\S+", "L" * 23, text))


LONG_TITLE = "Incoming and outgoing mail delayed for customers on the old cluster " * 3
CASES = {
    "short": ("Webmail is slow", "We are looking into it."),
    "long title": (LONG_TITLE[:200], "We are looking into it."),
    "long body": ("Webmail is slow", "The attackers changed tactics again. " * 150),
    "long both": (LONG_TITLE[:200], "Every queue is full. " * 300),
    "norwegian": ("Ødelagt e-post på grunn av DDoS-angrep", "Vi jobber med å få på plass " * 40),
    "japanese": ("メールが遅れています", "メールサーバーが停止しています。" * 60),
    "emoji": ("Mail is down 🔥", "🔥🚒 " * 200),
    "links in the body": (
        "Phishing warning",
        "Do not log in at runbox-login.com; use https://runbox.com/login only. " * 20,
    ),
    "one long word": ("Webmail is slow", "x" * 3000),
}


@pytest.fixture
def notice_for():
    imap = make_component("IMAP")

    def make(title: str, body: str) -> Notice:
        incident = actions.open_incident(
            title=title,
            body="Investigating.",
            component_statuses={imap: ComponentStatus.PARTIAL_OUTAGE},
            posted_at=oslo(2013, 1, 25, 0, 15),
        )
        update = actions.post_incident_update(
            incident,
            status=IncidentStatus.IDENTIFIED,
            body=body,
            posted_at=oslo(2013, 1, 25, 1, 45),
        )
        return Notice.objects.get(incident_update=update)

    return make


@pytest.mark.parametrize("case", CASES)
def test_the_x_text_fits_280_by_xs_count_and_ends_with_the_whole_link(notice_for, case):
    notice = notice_for(*CASES[case])
    link = f"http://127.0.0.1:8000/incidents/{notice.incident_id}/"

    text = XChannel().text(notice)

    assert tweet_length(text) <= 280
    assert text.endswith(f"\n{link}")
    assert text.startswith(CASES[case][0][:20])


@pytest.mark.parametrize("case", CASES)
def test_the_mastodon_text_fits_500(notice_for, case):
    notice = notice_for(*CASES[case])

    text = MastodonChannel().text(notice)

    assert toot_length(text) <= 500
    assert text.endswith(f"/incidents/{notice.incident_id}/")


def test_a_short_notice_is_posted_whole(notice_for):
    notice = notice_for("Webmail is slow", "We are looking into it.")

    assert XChannel().text(notice) == (
        "Webmail is slow: identified (01:45 CET)\n"
        "We are looking into it.\n"
        f"http://127.0.0.1:8000/incidents/{notice.incident_id}/"
    )


def test_a_long_body_is_cut_with_an_ellipsis_and_uses_the_room_there_is(notice_for):
    notice = notice_for("Webmail is slow", "The attackers changed tactics again. " * 150)

    text = XChannel().text(notice)

    assert "…\n" in text
    assert tweet_length(text) >= 270


def test_wide_characters_count_double_so_fewer_of_them_fit(notice_for):
    notice = notice_for(*CASES["japanese"])

    text = XChannel().text(notice)

    assert tweet_length(text) >= 270  # shortened only as much as needed
    assert len(text) < 200  # far fewer characters than 280
    # short_post alone counts characters, not X's weights: the X channel must fit it further.
    assert tweet_length(short_post(notice, limit=280, link_length=23)) > 280


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("plain", 5),
        ("blåbærsyltetøy", 14),
        ("メール", 6),
        ("🔥", 2),
        ("e\u0301", 1),  # NFC makes one character of e + combining accent
        ("see https://example.com/a/very/long/path/that/is/long", 4 + 23),
        ("see runbox.com now", 4 + 23 + 4),
        ("version 1.5 e.g. here", 21),
    ],
)
def test_x_length_counts_like_x(text, length):
    assert x_length(text) == length
