"""The signed payload of a Telegram deep link: the reader's wish, carried to the bot's /start.

Telegram passes at most 64 characters of A-Z, a-z, 0-9, _ and - from
`https://t.me/<bot>?start=<payload>` to the bot, so the payload is 48 bytes in unpadded
base64url at most, and nothing is stored before the reader starts the bot:

    kind (1) | issued, POSIX seconds (4) | wish (0 to 33) | HMAC-SHA256, first 10 bytes

The wish is every service (nothing), the chosen components' ids (a bitmask from the lowest id,
or the ids as deltas in LEB128 varints, whichever is shorter), or an existing subscriber (their
id and 4 bytes of the hash of their key, so a new key voids the link as it voids their page's).
Ten bytes of MAC are 80 bits: a forger gets one guess per message to the bot, and a link lives
SUBSCRIBE_CONFIRM_MAX_AGE seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_noop

from notifier.signed_links import BadToken

PURPOSE = "notifier.telegram.start"
PAYLOAD_CHARS = 64
PAYLOAD_BYTES = PAYLOAD_CHARS * 6 // 8
MAC_BYTES = 10
HEAD = struct.Struct(">BI")  # kind, issued
WISH_BYTES = PAYLOAD_BYTES - HEAD.size - MAC_BYTES
KEY_HASH_BYTES = 4
# A link made a little "in the future" by a web server whose clock is ahead still works.
CLOCK_SKEW_SECONDS = 300
PAYLOAD_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")

EVERY_SERVICE, BITMASK, ID_LIST, SUBSCRIBER = 1, 2, 3, 4

# Marked only: the bot translates them when it replies (notifier/telegram_bot.py).
INVALID = gettext_noop(
    "This link is not valid: it was cut short or changed. Please get a new link."
)
EXPIRED = gettext_noop("This link has expired. Please get a new link.")


class TooManyComponents(ValueError):
    """The chosen components do not fit in a deep link."""


@dataclass(frozen=True)
class StartWish:
    """What a deep link asks for: components (none: every service), or to join a reader."""

    component_ids: tuple[int, ...] = ()
    subscriber_id: int | None = None
    key_hash: bytes = b""
    issued_at: int = 0


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()[:KEY_HASH_BYTES]


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _read_varints(data: bytes) -> list[int]:
    numbers, current, shift = [], 0, 0
    for byte in data:
        current |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            raise BadToken(INVALID)
        if not byte & 0x80:
            numbers.append(current)
            current, shift = 0, 0
    if shift:
        raise BadToken(INVALID)
    return numbers


def _bitmask(ids: Sequence[int]) -> bytes:
    base = ids[0]
    mask = bytearray((ids[-1] - base) // 8 + 1)
    for pk in ids:
        mask[(pk - base) // 8] |= 1 << ((pk - base) % 8)
    return _varint(base) + bytes(mask)


def _read_bitmask(data: bytes) -> list[int]:
    # The base is the first varint: the bytes up to and including the first without bit 8.
    end = next((i for i, byte in enumerate(data) if not byte & 0x80), None)
    if end is None:
        raise BadToken(INVALID)
    (base,) = _read_varints(data[: end + 1])
    mask = data[end + 1 :]
    return [base + 8 * j + i for j, byte in enumerate(mask) for i in range(8) if byte >> i & 1]


def _id_list(ids: Sequence[int]) -> bytes:
    return b"".join(_varint(pk - before) for pk, before in zip(ids, (0, *ids), strict=False))


def _components_wish(component_ids: Sequence[int]) -> tuple[int, bytes]:
    ids = sorted(set(component_ids))
    if not ids:
        return EVERY_SERVICE, b""
    forms = [(ID_LIST, _id_list(ids))]
    if (ids[-1] - ids[0]) // 8 < WISH_BYTES:  # else the mask alone is too long to build
        forms.append((BITMASK, _bitmask(ids)))
    kind, wish = min(forms, key=lambda form: len(form[1]))
    if len(wish) > WISH_BYTES:
        raise TooManyComponents(
            f"{len(ids)} services do not fit in a Telegram link: choose fewer, "
            "or none for every service."
        )
    return kind, wish


def _mac(signed: bytes) -> bytes:
    return salted_hmac(PURPOSE, signed, algorithm="sha256").digest()[:MAC_BYTES]


def _seal(kind: int, wish: bytes, now: float | None) -> str:
    issued = int(time.time() if now is None else now)
    signed = HEAD.pack(kind, issued) + wish
    return base64.urlsafe_b64encode(signed + _mac(signed)).decode().rstrip("=")


def start_payload(component_ids: Sequence[int], *, now: float | None = None) -> str:
    """A payload for these components (none: every service); TooManyComponents if too many."""
    kind, wish = _components_wish(component_ids)
    return _seal(kind, wish, now)


def join_payload(subscriber_id: int, key: str, *, now: float | None = None) -> str:
    """A payload that adds the starting chat to this existing reader."""
    return _seal(SUBSCRIBER, _varint(subscriber_id) + key_hash(key), now)


def read_payload(payload: str, *, now: float | None = None) -> StartWish:
    """The wish a payload carries, if it is ours, whole and young enough; else BadToken."""
    if not PAYLOAD_SHAPE.fullmatch(payload):
        raise BadToken(INVALID)
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except ValueError:
        raise BadToken(INVALID) from None
    signed, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if len(signed) < HEAD.size or not hmac.compare_digest(mac, _mac(signed)):
        raise BadToken(INVALID)
    kind, issued = HEAD.unpack(signed[: HEAD.size])
    wish = signed[HEAD.size :]
    age = (time.time() if now is None else now) - issued
    if age > settings.SUBSCRIBE_CONFIRM_MAX_AGE:
        raise BadToken(EXPIRED)
    if age < -CLOCK_SKEW_SECONDS:
        raise BadToken(INVALID)
    if kind == EVERY_SERVICE and not wish:
        return StartWish(issued_at=issued)
    if kind == BITMASK:
        return StartWish(component_ids=tuple(_read_bitmask(wish)), issued_at=issued)
    if kind == ID_LIST:
        deltas = _read_varints(wish)
        ids = [sum(deltas[: i + 1]) for i in range(len(deltas))]
        return StartWish(component_ids=tuple(ids), issued_at=issued)
    if kind == SUBSCRIBER and len(wish) > KEY_HASH_BYTES:
        (subscriber_id,) = _read_varints(wish[:-KEY_HASH_BYTES])
        return StartWish(
            subscriber_id=subscriber_id, key_hash=wish[-KEY_HASH_BYTES:], issued_at=issued
        )
    raise BadToken(INVALID)
