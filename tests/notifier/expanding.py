"""What a worker's expansion writes after a publish, for tests that send by hand."""

from __future__ import annotations

from django.utils import timezone

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
