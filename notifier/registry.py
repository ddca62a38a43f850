"""The channel registry: every channel and mirror target, looked up by name.

Adding a channel: its module in notifier/channels/, one line in CLASSES, its settings and
the README (a mirror target: see notifier/mirror/targets.py).
"""

from __future__ import annotations

from notifier.channels.base import Channel
from notifier.channels.discord import DiscordChannel
from notifier.channels.email import EmailChannel
from notifier.channels.mastodon import MastodonChannel
from notifier.channels.matrix import MatrixChannel
from notifier.channels.push import PushChannel
from notifier.channels.slack import SlackChannel
from notifier.channels.sms import SmsChannel
from notifier.channels.teams import TeamsChannel
from notifier.channels.telegram import TelegramChannel
from notifier.channels.webhook import WebhookChannel
from notifier.channels.x import XChannel
from notifier.mirror.targets import TARGETS

# Single sends are queued in this order; the mirror first, so the fallback is current soonest.
_IN_QUEUE_ORDER: tuple[type[Channel], ...] = (
    *TARGETS,
    EmailChannel,
    XChannel,
    MastodonChannel,
    XChannel.in_language("en"),
    XChannel.in_language("nb"),
    MastodonChannel.in_language("en"),
    MastodonChannel.in_language("nb"),
    MatrixChannel,
    SmsChannel,
    PushChannel,
    TelegramChannel,
    SlackChannel,
    TeamsChannel,
    DiscordChannel,
    WebhookChannel,
)
CLASSES: dict[str, type[Channel]] = {cls.name: cls for cls in _IN_QUEUE_ORDER}


def all_channels() -> list[Channel]:
    """Fresh instances, so each reads its settings when used, never at import time."""
    return [cls() for cls in CLASSES.values() if cls.on_this_site()]


def channel_named(name: str) -> Channel:
    try:
        return CLASSES[name]()
    except KeyError:
        raise KeyError(f"no channel called {name!r}") from None


def reader_channels() -> list[Channel]:
    """The channels readers subscribe to (the mirror follows every publish on its own)."""
    return [c for c in all_channels() if not c.is_mirror]


def subscribe_ways() -> list[Channel]:
    """The configured ways a reader can subscribe on the site, in the registry's order.

    Channels sharing one subscribe page (Slack, Teams and Discord) are one way, the first's.
    """
    ways: dict[str, Channel] = {}
    for channel in reader_channels():
        if channel.subscribe_url_name and channel.is_configured():
            ways.setdefault(channel.subscribe_url_name, channel)
    return list(ways.values())
