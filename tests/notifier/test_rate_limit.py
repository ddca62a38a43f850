"""The subscribe rate limit: a sliding hour, in a store every process shares, keyed by an HMAC.

Time moves by passing a clock, never by sleeping. The Redis store runs against a real Redis
server (tests/servers/redis.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifier.models import RateLimitLog
from notifier.ratelimit import DatabaseStore, Decision, RateLimit, RedisStore, client_key
from tests.servers.redis import RedisServer

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

HOUR = 3600
START = 1_700_000_000.0  # an arbitrary instant; only differences matter


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Client:
    """One address asking through a limit, at chosen minutes after START."""

    def __init__(self, limit: RateLimit, address: str = "192.0.2.7") -> None:
        self.limit, self.address = limit, address

    def at(self, minutes: float) -> Decision:
        assert isinstance(self.limit.clock, Clock)
        self.limit.clock.now = START + minutes * 60
        return self.limit.hit(self.address)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[DatabaseStore | RedisStore]:
    if request.param == "database":
        yield DatabaseStore()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis_store = RedisStore(server.url)
    redis_store.client.flushdb()
    yield redis_store
    redis_store.client.close()


def limiter(store: DatabaseStore | RedisStore, clock: Clock, limit: int = 3) -> RateLimit:
    return RateLimit("subscribe", limit, HOUR, store=store, clock=clock)


def test_the_window_slides_instead_of_restarting_on_the_clock_hour(store):
    client = Client(limiter(store, Clock()))
    assert [client.at(minute).allowed for minute in (0, 0, 0)] == [True, True, True]
    # A counter per clock hour would start again at the next full hour; the window does not.
    refused = client.at(59)
    assert not refused.allowed and refused.retry_after == pytest.approx(60)
    assert client.at(60.5).allowed


def test_the_wait_is_until_the_oldest_request_leaves_the_window(store):
    client = Client(limiter(store, Clock()))
    assert all(client.at(minute).allowed for minute in (0, 10, 20))
    refused = client.at(30)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(30 * 60)
    assert refused.retry_after_minutes == 30
    # One place comes free at minute 60, the next at minute 70, not before.
    assert client.at(60.1).allowed
    again = client.at(60.1)
    assert not again.allowed and again.retry_after == pytest.approx(9.9 * 60)


def test_refused_requests_do_not_push_the_wait_further(store):
    client = Client(limiter(store, Clock(), limit=1))
    assert client.at(0).allowed
    assert not any(client.at(minute).allowed for minute in range(1, 60, 7))
    assert client.at(60).allowed


def test_each_client_has_its_own_allowance_and_an_ipv6_64_is_one_client(store):
    limit = limiter(store, Clock(), limit=1)
    assert limit.hit("192.0.2.7").allowed
    assert not limit.hit("192.0.2.7").allowed
    assert limit.hit("192.0.2.8").allowed
    assert limit.hit("2001:db8:1:2::1").allowed
    assert not limit.hit("2001:db8:1:2:ffff::9").allowed  # the same /64: one host's range
    assert limit.hit("2001:db8:1:3::1").allowed


def test_no_address_is_stored_only_a_keyed_hash():
    limit = limiter(DatabaseStore(), Clock())
    limit.hit("192.0.2.7")
    stored = RateLimitLog.objects.get()
    assert "192.0.2.7" not in str(stored.key) and "192.0.2.7" not in str(stored.hits)
    assert stored.key == client_key("subscribe", "192.0.2.7")
    assert client_key("subscribe", "192.0.2.7") != client_key("login", "192.0.2.7")


def test_the_key_depends_on_the_secret_key(settings):
    before = client_key("subscribe", "192.0.2.7")
    settings.SECRET_KEY = "another secret, another key " * 2
    assert client_key("subscribe", "192.0.2.7") != before


def test_logs_are_deleted_once_every_request_in_them_has_left_the_window():
    limit = limiter(DatabaseStore(), Clock())
    Client(limit, "192.0.2.7").at(0)
    Client(limit, "192.0.2.8").at(30)
    assert RateLimitLog.objects.count() == 2
    Client(limit, "192.0.2.9").at(61)
    remaining = set(RateLimitLog.objects.values_list("key", flat=True))
    assert remaining == {client_key("subscribe", a) for a in ("192.0.2.8", "192.0.2.9")}


def test_redis_keys_expire_with_the_window(redis_server):
    store = RedisStore(redis_server.url)
    store.client.flushdb()
    limiter(store, Clock()).hit("192.0.2.7")
    (name,) = store.client.keys("statuspage:ratelimit:*")
    assert 0 < store.client.pttl(name) <= HOUR * 1000
    store.client.close()


def test_with_redis_down_the_database_keeps_the_limit(redis_server):
    store = RedisStore(redis_server.url, timeout=1)
    limit = limiter(store, Clock(), limit=1)
    redis_server.stop()
    try:
        assert limit.hit("192.0.2.7").allowed
        assert not limit.hit("192.0.2.7").allowed
        assert RateLimitLog.objects.count() == 1
    finally:
        redis_server.start()
        store.client.close()
