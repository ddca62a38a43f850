"""The notifier's models, one module per concern; every name is re-exported from here.

- `subscribers`: readers, their contact points, and what the sign-up forms remember;
- `webhooks`: endpoints that receive every notice as JSON;
- `notices`: one row per publish, and the tally of its deliveries;
- `deliveries`: the ledger the workers move (one row per notice, channel and target).
"""

from notifier.models import lookups  # noqa: F401  (registers `any_of`)
from notifier.models.deliveries import (
    CLAIMABLE_STATES,
    HELD_BACK,
    Delivery,
    DeliveryQuerySet,
    DeliveryState,
    Expansion,
)
from notifier.models.notices import (
    MAINTENANCE_NOTICES,
    ChannelTally,
    Notice,
    NoticeKind,
    NoticeQuerySet,
    attach_tallies,
)
from notifier.models.subscribers import (
    ContactPoint,
    ContactPointQuerySet,
    RateLimitLog,
    Subscriber,
    SubscriberQuerySet,
    Unsubscribed,
    new_subscriber_key,
)
from notifier.models.webhooks import WebhookEndpoint, new_secret, validate_webhook_url

__all__ = [
    "CLAIMABLE_STATES",
    "HELD_BACK",
    "MAINTENANCE_NOTICES",
    "ChannelTally",
    "ContactPoint",
    "ContactPointQuerySet",
    "Delivery",
    "DeliveryQuerySet",
    "DeliveryState",
    "Expansion",
    "Notice",
    "NoticeKind",
    "NoticeQuerySet",
    "RateLimitLog",
    "Subscriber",
    "SubscriberQuerySet",
    "Unsubscribed",
    "WebhookEndpoint",
    "attach_tallies",
    "new_secret",
    "new_subscriber_key",
    "validate_webhook_url",
]
