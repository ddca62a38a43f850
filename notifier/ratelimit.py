"""A sliding-window rate limit every web process shares: in the database, or in Redis.

Each client key keeps a log of the times its admitted requests were made; a request is
admitted while fewer than `limit` of them lie within the last `window` seconds. A refused
request is not logged, so the wait it is told is exact: the time until the oldest logged
request leaves the window. Keys are HMACs of the client's address under SECRET_KEY, so
neither store holds an address.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, cast

import redis
from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac

from notifier.models import RateLimitLog

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until this client would be admitted again

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def decide(
    hits: list[float], now: float, limit: int, window: float
) -> tuple[Decision, list[float]]:
    """The decision for a request at `now`, and the log to keep afterwards."""
    recent = sorted(at for at in hits if at > now - window)
    if len(recent) < limit:
        return Decision(True), [*recent, now]
    # Admitted again once all but limit - 1 of the logged requests have left the window.
    return Decision(False, recent[len(recent) - limit] + window - now), recent


def client_key(scope: str, address: str) -> str:
    """An HMAC naming the client; an IPv6 client is its /64, which one host can roam."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        prefix = 64 if parsed.version == 6 and not parsed.ipv4_mapped else parsed.max_prefixlen
        network = str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))
    return salted_hmac(f"notifier.ratelimit.{scope}", network, algorithm="sha256").hexdigest()


class Store(Protocol):
    def hit(self, key: str, now: float, limit: int, window: float) -> Decision: ...


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class DatabaseStore:
    """One row per key holding its log; the row lock makes processes take turns per key."""

    def hit(self, key: str, now: float, limit: int, window: float) -> Decision:
        with transaction.atomic():
            # A write first: on SQLite it takes the write lock at once (a transaction that
            # read first cannot upgrade under contention); on PostgreSQL the upsert locks the
            # row, so concurrent requests for this key wait for each other and a prune
            # cannot delete it before it is read.
            RateLimitLog.objects.bulk_create(
                [RateLimitLog(key=key, expires_at=_instant(now))],
                update_conflicts=True,
                unique_fields=["key"],
                update_fields=["expires_at"],
            )
            log = RateLimitLog.objects.select_for_update().get(key=key)
            decision, log.hits = decide(log.hits, now, limit, window)
            log.expires_at = _instant(max(log.hits, default=now) + window)
            log.save(update_fields=["hits", "expires_at"])
        self.prune(now)
        return decision

    def prune(self, now: float) -> None:
        """Delete the logs whose every request has left the window."""
        with transaction.atomic():
            # Rows another request is renewing are locked: skip them rather than wait.
            expired = RateLimitLog.objects.filter(expires_at__lte=_instant(now))
            ids = expired.select_for_update(skip_locked=True).values("id")
            RateLimitLog.objects.filter(id__in=ids, expires_at__lte=_instant(now)).delete()


class RedisStore:
    """A sorted set per key (score: the time), changed in a WATCH/MULTI transaction.

    While Redis does not answer, the database decides: subscribing keeps working, limited.
    """

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.fallback = DatabaseStore()

    def hit(self, key: str, now: float, limit: int, window: float) -> Decision:
        try:
            return self._hit(f"statuspage:ratelimit:{key}", now, limit, window)
        except redis.RedisError as error:
            logger.warning("Redis unreachable, the database keeps the rate limit: %s", error)
            return self.fallback.hit(key, now, limit, window)

    def _hit(self, name: str, now: float, limit: int, window: float) -> Decision:
        def attempt(pipe: redis.client.Pipeline) -> Decision:
            # After WATCH, before MULTI, a pipeline answers at once; its type says it queues.
            logged = cast(
                "list[tuple[bytes, float]]",
                pipe.zrangebyscore(name, now - window, "+inf", withscores=True),
            )
            decision, kept = decide([score for _, score in logged], now, limit, window)
            pipe.multi()
            pipe.zremrangebyscore(name, "-inf", now - window)
            if decision.allowed:
                pipe.zadd(name, {uuid.uuid4().hex: now})
            pipe.pexpire(name, max(1, math.ceil((max(kept, default=now) + window - now) * 1000)))
            return decision

        # EXEC fails if another process changed the set since WATCH; then it is read again.
        # With value_from_callable, transaction() returns what attempt returns; the stubs
        # know neither the callable's return nor the value.
        decision = self.client.transaction(
            attempt,  # type: ignore[arg-type]
            name,
            value_from_callable=True,
        )
        return cast(Decision, decision)


class RateLimit:
    """`limit` requests per `window` seconds per client, in the store all processes share."""

    def __init__(
        self, scope: str, limit: int, window: float, *, store: Store, clock: Clock = time.time
    ) -> None:
        self.scope, self.limit, self.window = scope, limit, window
        self.store, self.clock = store, clock

    def hit(self, address: str) -> Decision:
        """Log a request from `address` if it is admitted; say whether it is."""
        return self.store.hit(
            client_key(self.scope, address), self.clock(), self.limit, self.window
        )


@functools.cache
def _redis_store(url: str) -> RedisStore:
    return RedisStore(url)  # one connection pool per process


def configured_store() -> Store:
    url = settings.RATE_LIMIT_REDIS_URL
    return _redis_store(url) if url else DatabaseStore()
