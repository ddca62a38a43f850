"""X (Twitter): one post per notice through API v2, threaded per incident or maintenance.

Keys are OAuth 1.0a user-context keys of the account that posts (X_API_KEY,
X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET; X_NB_API_KEY and so on for the
Norwegian account); while any is unset the channel is off. The text fits X's 280 by
X's own count: every URL counts 23, and characters outside the Latin and punctuation
ranges (CJK, emoji) count 2.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings

from notifier.channels.base import TransportError
from notifier.channels.social import SocialChannel, reply_target, timeout_session
from notifier.models import Delivery

if TYPE_CHECKING:
    import tweepy

# Anything X may turn into a link: with a scheme, or a bare domain such as runbox.com.
# Counting a little too much as a link only shortens the text; too little would break it.
LINK = re.compile(r"https?://\S+|(?:[\w-]+\.)+[^\W\d_]{2,}\b(?:/\S*)?", re.IGNORECASE)
# twitter-text v3: code points in these ranges weigh 1, all others 2.
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def _weight(text: str) -> int:
    return sum(
        1 if any(low <= ord(char) <= high for low, high in LIGHT_RANGES) else 2 for char in text
    )


def x_length(text: str, link_length: int = 23) -> int:
    """The length X counts: NFC-normalised, links as `link_length`, wide characters as 2."""
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for match in LINK.finditer(text):
        total += _weight(text[position : match.start()]) + link_length
        position = match.end()
    return total + _weight(text[position:])


class XChannel(SocialChannel):
    name = "x"
    label = "X (Twitter)"
    limit = 280

    network = "X"
    account_settings = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")

    def measure(self, text: str) -> int:
        return x_length(text, self.link_length)

    @contextmanager
    def _client(self) -> Iterator[tweepy.Client]:
        import tweepy

        client = tweepy.Client(
            consumer_key=self.setting("API_KEY"),
            consumer_secret=self.setting("API_SECRET"),
            access_token=self.setting("ACCESS_TOKEN"),
            access_token_secret=self.setting("ACCESS_TOKEN_SECRET"),
        )
        client.session = timeout_session(settings.OUTBOUND_HTTP_TIMEOUT)
        try:
            yield client
        finally:
            client.session.close()

    def session(self) -> AbstractContextManager[Any]:
        return self._client()

    def send(self, delivery: Delivery, session: Any) -> str:
        import requests
        import tweepy

        reply_to = reply_target(delivery)
        text = self.text(delivery.notice)
        try:
            response = session.create_tweet(
                text=text, in_reply_to_tweet_id=reply_to, user_auth=True
            )
        except tweepy.TooManyRequests as error:
            wait = error.reset_time - time.time() if error.reset_time else None
            raise TransportError(
                f"X rate limit: {error}", permanent=False, retry_after=wait
            ) from error
        except tweepy.TwitterServerError as error:
            raise TransportError(f"X is failing: {error}", permanent=False) from error
        except tweepy.HTTPException as error:  # 400, 401, 403 (duplicate, suspended), 404
            raise TransportError(f"X refused the post: {error}", permanent=True) from error
        except requests.RequestException as error:  # timeouts, lost connections, bad JSON
            raise TransportError(f"Cannot reach X: {error!r}", permanent=False) from error
        post_id = (response.data or {}).get("id")
        if not post_id:
            raise TransportError(f"X answered without a post id: {response!r}", permanent=False)
        return str(post_id)
