"""The Telegram deep link's payload: 64 characters at most, signed, expiring, tamper-evident."""

from __future__ import annotations

import re
import time

import pytest

from notifier.signed_links import BadToken
from notifier.telegram_links import (
    EXPIRED,
    INVALID,
    TooManyComponents,
    join_payload,
    key_hash,
    read_payload,
    start_payload,
)

TELEGRAM_START = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Telegram's rule for ?start=


def test_every_kind_of_wish_comes_back_as_it_was_made():
    now = 1_800_000_000
    every = read_payload(start_payload([], now=now), now=now)
    assert (every.component_ids, every.subscriber_id, every.issued_at) == ((), None, now)
    chosen = read_payload(start_payload([9, 3, 4, 3], now=now), now=now)
    assert chosen.component_ids == (3, 4, 9)
    spread = read_payload(start_payload([5, 300, 70_000, 2**40], now=now), now=now)
    assert spread.component_ids == (5, 300, 70_000, 2**40)
    reader = read_payload(join_payload(123_456, "the-readers-key", now=now), now=now)
    assert (reader.subscriber_id, reader.key_hash) == (123_456, key_hash("the-readers-key"))
    assert reader.component_ids == ()


def test_up_to_256_neighbouring_components_fit_and_one_more_says_so_clearly():
    fits = start_payload(range(1, 257))
    assert len(fits) == 64 and TELEGRAM_START.fullmatch(fits)
    assert read_payload(fits).component_ids == tuple(range(1, 257))
    with pytest.raises(TooManyComponents) as refused:
        start_payload(range(1, 258))
    assert str(refused.value) == (
        "257 services do not fit in a Telegram link: choose fewer, or none for every service."
    )


def test_scattered_components_take_the_shorter_list_form_until_it_is_full():
    # Ids 1000 apart: two bytes each as deltas, where a bitmask would need thousands of bits.
    scattered = [1000 * n for n in range(1, 17)]
    payload = start_payload(scattered)
    assert len(payload) <= 64 and TELEGRAM_START.fullmatch(payload)
    assert read_payload(payload).component_ids == tuple(scattered)
    with pytest.raises(TooManyComponents):
        start_payload([*scattered, 17_000])


@pytest.mark.parametrize("count", [0, 1, 2, 30, 100, 200, 256])
def test_every_payload_is_what_telegram_passes_on(count):
    payload = start_payload(range(7, 7 + count))
    assert TELEGRAM_START.fullmatch(payload)
    assert TELEGRAM_START.fullmatch(join_payload(2**62, "k" * 32))


def test_a_changed_cut_or_foreign_payload_is_refused():
    payload = start_payload([3, 4])
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    for bad in (flipped, payload[:-1], payload[:20], payload + "A", "", "a b", "x" * 65, "/start"):
        with pytest.raises(BadToken) as refused:
            read_payload(bad)
        assert str(refused.value) == INVALID


def test_a_payload_signed_with_another_secret_is_refused(settings):
    payload = start_payload([3])
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    with pytest.raises(BadToken):
        read_payload(payload)


def test_a_payload_expires_with_the_confirmation_links(settings):
    settings.SUBSCRIBE_CONFIRM_MAX_AGE = 3600
    made = int(time.time())
    payload = start_payload([3], now=made)
    assert read_payload(payload, now=made + 3600).component_ids == (3,)
    with pytest.raises(BadToken) as refused:
        read_payload(payload, now=made + 3601)
    assert str(refused.value) == EXPIRED
    with pytest.raises(BadToken):
        read_payload(payload, now=made - 3600)  # made "later" than now: not ours
