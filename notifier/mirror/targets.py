"""The static mirror's targets, in the order a publish reaches them.

Adding a target: its module here in notifier/mirror/, one line in TARGETS, its settings and
the README. The channel registry (notifier/registry.py) takes them from here.
"""

from __future__ import annotations

from notifier.mirror.channel import MirrorChannel
from notifier.mirror.local import LocalMirrorChannel
from notifier.mirror.rsync import RsyncMirrorChannel
from notifier.mirror.s3 import S3MirrorChannel

TARGETS: tuple[type[MirrorChannel], ...] = (
    LocalMirrorChannel,
    RsyncMirrorChannel,
    S3MirrorChannel,
)


def configured_targets() -> list[MirrorChannel]:
    """Fresh instances of every configured target (each reads its settings when asked)."""
    return [target for target in (cls() for cls in TARGETS) if target.is_configured()]
