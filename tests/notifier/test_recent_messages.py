"""A notice's encoded message is built once for the batches of one fan-out, not for ever."""

from __future__ import annotations

from datetime import UTC, datetime

from notifier.channels.base import RecentMessages
from notifier.models import Notice


def notice(pk: int, second: int = 0) -> Notice:
    return Notice(pk=pk, created_at=datetime(2013, 1, 25, 0, 45, second, tzinfo=UTC))


def test_a_message_is_built_once_for_every_batch_of_a_fan_out(monkeypatch):
    recent, built = RecentMessages(), []
    clock = [1000.0]
    monkeypatch.setattr("notifier.channels.base.time.monotonic", lambda: clock[0])

    def build(text: str):
        return lambda: built.append(text) or text

    assert recent.get("slack", notice(1), build("first")) == "first"
    clock[0] += RecentMessages.SECONDS - 1
    assert recent.get("slack", notice(1), build("again")) == "first"
    assert recent.get("teams", notice(1), build("teams")) == "teams"
    # A reused id with another creation time (a rolled-back test's) is another notice.
    assert recent.get("slack", notice(1, second=1), build("other")) == "other"
    clock[0] += 2
    assert recent.get("slack", notice(1), build("later")) == "later"
    assert built == ["first", "teams", "other", "later"]


def test_no_more_than_its_size_is_kept_the_oldest_going_first():
    recent = RecentMessages()
    for pk in range(RecentMessages.SIZE + 5):
        recent.get("slack", notice(pk), lambda pk=pk: pk)
    assert len(recent._kept) == RecentMessages.SIZE
    assert recent.get("slack", notice(0), lambda: "rebuilt") == "rebuilt"
    assert recent.get("slack", notice(RecentMessages.SIZE + 4), lambda: "rebuilt") == (
        RecentMessages.SIZE + 4
    )
