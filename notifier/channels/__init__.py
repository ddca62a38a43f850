"""The channel registry: one class per channel, looked up by name."""

from __future__ import annotations

from notifier.channels.base import Channel, TransportError

__all__ = ["Channel", "TransportError", "all_channels", "channel_named"]


def _classes() -> dict[str, type[Channel]]:
    from notifier.channels.email import EmailChannel
    from notifier.channels.mastodon import MastodonChannel
    from notifier.channels.mirror_local import LocalMirrorChannel
    from notifier.channels.mirror_rsync import RsyncMirrorChannel
    from notifier.channels.mirror_s3 import S3MirrorChannel
    from notifier.channels.webhook import WebhookChannel
    from notifier.channels.x import XChannel

    # Single sends are queued in this order; the mirror first, so the fallback is current soonest.
    return {
        cls.name: cls
        for cls in (
            LocalMirrorChannel,
            RsyncMirrorChannel,
            S3MirrorChannel,
            EmailChannel,
            XChannel,
            MastodonChannel,
            WebhookChannel,
        )
    }


def all_channels() -> list[Channel]:
    """Fresh instances, so each reads its settings when used, never at import time."""
    return [cls() for cls in _classes().values()]


def channel_named(name: str) -> Channel:
    try:
        return _classes()[name]()
    except KeyError:
        raise KeyError(f"no channel called {name!r}") from None
