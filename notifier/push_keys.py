"""The VAPID key pair (RFC 8292) that signs our pushes: from settings, or made once here.

A pair given by VAPID_PRIVATE_KEY (with VAPID_PUBLIC_KEY, checked against it, or derived from
it) wins. Without one, a P-256 key is generated the first time it is needed and kept in
VAR_DIR/vapid-private.pem (mode 0600), so `make run` offers push with no settings, and the
browsers' subscriptions, made for its public key, keep working across restarts. Losing the
key orphans every push subscription: browsers accept pushes only from the key they
subscribed with.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

KEY_FILE_NAME = "vapid-private.pem"


class KeyProblem(Exception):
    """The VAPID settings cannot be used; the message says which and why."""


@dataclass(frozen=True)
class VapidKeys:
    private: ec.EllipticCurvePrivateKey
    public: str  # the browser's applicationServerKey: base64url of the uncompressed point


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url, padded or not; ValueError on anything else."""
    stripped = text.strip().rstrip("=")
    if not stripped or not all(c.isalnum() or c in "-_" for c in stripped):
        raise ValueError("not base64url")
    if not stripped.isascii() or len(stripped) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))


def public_point(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def parse_private(text: str) -> ec.EllipticCurvePrivateKey:
    """A PEM private key, or the base64url raw 32-byte scalar `web-push generate-vapid-keys`
    prints."""
    try:
        if "BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) != 32:
                raise ValueError("not 32 bytes")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError) as error:
        raise KeyProblem(
            "VAPID_PRIVATE_KEY is neither a PEM private key nor a base64url P-256 key "
            f"(32 bytes): {error}"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyProblem("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) key.")
    return key


def kept_key(directory: Path) -> ec.EllipticCurvePrivateKey:
    """The key kept in `directory`, generated the first time; two processes agree on one."""
    path = directory / KEY_FILE_NAME
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        draft = directory / f".{KEY_FILE_NAME}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            # A link never replaces: the first process to get there wins, the others read it.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink()
    return parse_private(path.read_text())


@functools.lru_cache(maxsize=4)
def _keys(private_setting: str, public_setting: str, directory: str) -> VapidKeys:
    if private_setting:
        key = parse_private(private_setting)
    elif public_setting:
        raise KeyProblem("VAPID_PUBLIC_KEY is set without VAPID_PRIVATE_KEY: set both.")
    else:
        try:
            key = kept_key(Path(directory))
        except OSError as error:
            raise KeyProblem(
                f"No VAPID_PRIVATE_KEY is set and none can be kept in {directory}: {error}"
            ) from None
    public = public_point(key)
    if public_setting and public_setting.strip().rstrip("=") != public:
        raise KeyProblem("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY.")
    return VapidKeys(private=key, public=public)


def vapid_keys() -> VapidKeys:
    """The pair to sign with and to give browsers; KeyProblem when the settings are wrong."""
    return _keys(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY, str(settings.VAR_DIR))
