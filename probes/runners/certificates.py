"""A certificate's expiry read from its DER bytes, without a crypto library.

The standard library gives a parsed certificate only after it was verified; an expired one
fails verification, and staff still want to read when it expired.
"""

from __future__ import annotations

from datetime import UTC, datetime

_UTC_TIME, _GENERALIZED_TIME, _EXPLICIT_VERSION = 0x17, 0x18, 0xA0


def _element(der: bytes, position: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at `position`."""
    tag, length = der[position], der[position + 1]
    position += 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(der[position : position + size], "big")
        position += size
    return tag, position, position + length


def not_after(der: bytes) -> datetime | None:
    """When the certificate stops being valid (UTC), or None if the bytes do not parse."""
    try:
        _, certificate, _ = _element(der, 0)
        _, position, _ = _element(der, certificate)  # the to-be-signed part
        tag, _, end = _element(der, position)
        if tag == _EXPLICIT_VERSION:
            position = end
        for _ in ("serial", "signature algorithm", "issuer"):
            _, _, position = _element(der, position)
        _, validity, _ = _element(der, position)
        _, _, after_not_before = _element(der, validity)
        tag, start, end = _element(der, after_not_before)
        text = der[start:end].decode("ascii")
        layout = "%y%m%d%H%M%SZ" if tag == _UTC_TIME else "%Y%m%d%H%M%SZ"
        if tag not in (_UTC_TIME, _GENERALIZED_TIME):
            return None
        return datetime.strptime(text, layout).replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None
