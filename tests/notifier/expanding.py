"""What a worker's expansion writes after a publish, for tests that send by hand."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifier import expansion, queueing
from notifier.channels.base import ExpandingChannel
from notifier.models import Expansion
from notifier.registry import channel_named


def write_deliveries(*channels: str) -> None:
    """Write the deliveries of every expansion not yet done (of `channels`, when named), as
    a worker does (notifier/expansion.py), without queueing them.

    A publish to email, a chat service or webhooks writes only an Expansion row: a test
    that runs the dispatcher itself writes the deliveries with this first.
    """
    pending = Expansion.objects.filter(done_at=None).select_related("notice")
    if channels:
        pending = pending.filter(channel__in=channels)
    for mailing in pending:
        channel = channel_named(mailing.channel)
        assert isinstance(channel, ExpandingChannel)
        after = 0
        while page := channel.expand_page(mailing.notice, after, 1000):
            after = page[-1]
        Expansion.objects.filter(pk=mailing.pk).update(done_at=timezone.now())


def expansion_killed_after_its_second_chunk(
    monkeypatch: pytest.MonkeyPatch, expansion_id: int
) -> None:
    """Run the expansion as a worker SIGKILLed after writing its second chunk, before
    queueing it; queueing works again afterwards."""
    calls = {"n": 0}
    queue_batches = queueing.queue_batches

    def dies_on_the_second_chunk(ids: list[int], **options: bool) -> int:
        calls["n"] += 1
        if calls["n"] == 2:  # that chunk's rows are written, not yet queued
            raise SystemExit("SIGKILL")
        return queue_batches(ids, **options)

    monkeypatch.setattr(queueing, "queue_batches", dies_on_the_second_chunk)
    with pytest.raises(SystemExit):
        expansion.expand_mailing_list(expansion_id)
    monkeypatch.setattr(queueing, "queue_batches", queue_batches)
