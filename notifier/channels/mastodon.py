"""Mastodon: one status per notice through Mastodon.py, threaded per incident or maintenance.

Configured by MASTODON_API_BASE_URL and MASTODON_ACCESS_TOKEN (an app token
with write:statuses; MASTODON_NB_API_BASE_URL and MASTODON_NB_ACCESS_TOKEN for the
Norwegian account); off while either is unset. Mastodon.py is told never
to ask the instance for its version and never to sleep on a rate limit: the
only request is the POST, and waiting is the dispatcher's job. Each post
carries an Idempotency-Key, so a retry after a lost answer does not post twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings

from notifier.channels.base import TransportError
from notifier.channels.social import SocialChannel, reply_target
from notifier.models import Delivery

if TYPE_CHECKING:
    from mastodon import Mastodon, MastodonAPIError

# Mastodon counts every http(s) link as 23 characters, whatever its length.
LINK = re.compile(r"https?://\S+", re.IGNORECASE)


def mastodon_length(text: str, link_length: int = 23) -> int:
    return len(LINK.sub("x" * link_length, text))


def _status_code(error: MastodonAPIError) -> int | None:
    # Mastodon.py raises ('Mastodon API returned error', status, reason, message).
    code = error.args[1] if len(error.args) > 1 else None
    return code if isinstance(code, int) else None


class MastodonChannel(SocialChannel):
    name = "mastodon"
    label = "Mastodon"
    limit = 500

    network = "MASTODON"
    account_settings = ("API_BASE_URL", "ACCESS_TOKEN")

    def measure(self, text: str) -> int:
        return mastodon_length(text, self.link_length)

    @contextmanager
    def _client(self) -> Iterator[Mastodon]:
        from mastodon import Mastodon

        client = Mastodon(
            access_token=self.setting("ACCESS_TOKEN"),
            api_base_url=self.setting("API_BASE_URL"),
            request_timeout=settings.OUTBOUND_HTTP_TIMEOUT,
            version_check_mode="none",
            ratelimit_method="throw",
            user_agent=f"{settings.SITE_NAME} ({settings.SITE_URL})",
        )
        try:
            yield client
        finally:
            client.session.close()

    def session(self) -> AbstractContextManager[Any]:
        return self._client()

    def send(self, delivery: Delivery, session: Any) -> str:
        from mastodon import (
            MastodonAPIError,
            MastodonError,
            MastodonIllegalArgumentError,
            MastodonNetworkError,
            MastodonNotFoundError,
            MastodonRatelimitError,
            MastodonServerError,
            MastodonUnauthorizedError,
        )

        reply_to = reply_target(delivery)
        try:
            status = session.status_post(
                self.text(delivery.notice),
                in_reply_to_id=reply_to,
                visibility=settings.MASTODON_VISIBILITY,
                idempotency_key=f"statuspage-{delivery.pk}-{delivery.created_at.timestamp():.0f}",
            )
        except MastodonRatelimitError as error:
            reset = session.ratelimit_reset  # parsed from X-RateLimit-Reset, None if unusable
            wait = reset - time.time() if reset else None
            raise TransportError(
                f"Mastodon rate limit: {error}", permanent=False, retry_after=wait
            ) from error
        except (MastodonUnauthorizedError, MastodonNotFoundError) as error:
            raise TransportError(f"Mastodon refused the post: {error}", permanent=True) from error
        except MastodonServerError as error:
            raise TransportError(f"Mastodon is failing: {error}", permanent=False) from error
        except MastodonAPIError as error:
            # 4xx (422: too long, bad reply id) cannot get better; anything else might.
            code = _status_code(error)
            permanent = code is not None and 400 <= code < 500
            raise TransportError(f"Mastodon answered: {error}", permanent=permanent) from error
        except MastodonNetworkError as error:  # timeouts and lost connections
            raise TransportError(f"Cannot reach Mastodon: {error}", permanent=False) from error
        except MastodonIllegalArgumentError as error:
            raise TransportError(f"Mastodon settings: {error}", permanent=True) from error
        except MastodonError as error:
            raise TransportError(f"Mastodon: {error!r}", permanent=False) from error
        return str(status["id"])
