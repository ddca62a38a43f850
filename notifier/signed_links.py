"""Signed links: the confirmation link carries the whole request, so nothing is stored first."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.translation import gettext as _

CONFIRM_SALT = "notifier.subscribe.confirm"
UNSUBSCRIBE_SALT = "notifier.unsubscribe"


@dataclass(frozen=True)
class SubscribeRequest:
    email: str
    component_ids: tuple[int, ...]
    # When its confirmation link was made (POSIX seconds); 0 for links made before they said.
    issued_at: float = field(default=0.0, compare=False)
    # A reader adding this address from their own page: their id and the hash of their key
    # (as in their manage token), so a link outliving that reader attaches to nobody else.
    subscriber_id: int | None = None
    subscriber_key_hash: str = ""

    @classmethod
    def joining(cls, email: str, manage_token: str) -> SubscribeRequest:
        """A request to add `email` to the reader a manage token names (BadToken if bad)."""
        subscriber_id, key_hash = read_manage_token(manage_token)
        return cls(email, (), subscriber_id=subscriber_id, subscriber_key_hash=key_hash)


class BadToken(Exception):
    """A link that was tampered with, truncated or has expired; the message says which."""


def confirmation_token(request: SubscribeRequest, now: float | None = None) -> str:
    # Rounded up: a link made just after an unsubscribe must not seem to precede it.
    issued = math.ceil((time.time() if now is None else now) * 1000) / 1000
    data: dict[str, object] = {"e": request.email, "c": list(request.component_ids), "t": issued}
    if request.subscriber_id is not None:
        data["s"] = [request.subscriber_id, request.subscriber_key_hash]
    return signing.dumps(data, salt=CONFIRM_SALT, compress=True)


def read_confirmation_token(token: str) -> SubscribeRequest:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.SUBSCRIBE_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken(_("This confirmation link has expired. Please subscribe again.")) from None
    except signing.BadSignature:
        raise BadToken(
            _("This confirmation link is not valid. Please copy the whole link.")
        ) from None
    try:
        # Links made before readers had their own page carry no "s".
        subscriber_id, key_hash = data.get("s", (None, ""))
        return SubscribeRequest(
            str(data["e"]),
            tuple(int(c) for c in data["c"]),
            float(data.get("t", 0)),
            subscriber_id=None if subscriber_id is None else int(subscriber_id),
            subscriber_key_hash=str(key_hash),
        )
    except (KeyError, TypeError, ValueError):
        raise BadToken(_("This confirmation link is not valid.")) from None


def address_key(email: str) -> str:
    """A keyed hash of an address, to recognise it later without storing it."""
    return salted_hmac("notifier.address", email.lower(), algorithm="sha256").hexdigest()


def _address_hash(email: str) -> str:
    # The link names the subscriber without putting the address itself in URLs and logs.
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


class KeyedSigner:
    """Signs as `signing.Signer(salt=salt).sign` does, with the HMAC key derived once.

    Signer derives its HMAC key from the secret anew for every token; a mailing of 100,000
    needs one key, so this derives it once and copies the keyed HMAC per token. The bytes
    are the same (tests compare them), so Signer reads them back.
    """

    def __init__(self, salt: str) -> None:
        signer = signing.Signer(salt=salt)
        self._separator = signer.sep
        hasher = getattr(hashlib, signer.algorithm)
        key = hasher(force_bytes(signer.salt) + b"signer" + force_bytes(signer.key)).digest()
        self._keyed = hmac.new(key, digestmod=hasher)

    def sign(self, value: str) -> str:
        mac = self._keyed.copy()
        mac.update(value.encode())
        return f"{value}{self._separator}{signing.b64_encode(mac.digest()).decode()}"

    def sign_object(self, data: dict[str, object]) -> str:
        """As Signer.sign_object (JSON, uncompressed) makes it."""
        payload = json.dumps(data, separators=(",", ":")).encode("latin-1")
        return self.sign(signing.b64_encode(payload).decode())


class UnsubscribeSigner(KeyedSigner):
    """Makes the tokens `signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object` makes, faster."""

    def __init__(self) -> None:
        super().__init__(UNSUBSCRIBE_SALT)

    def token(self, subscriber_id: int, email: str) -> str:
        return self.sign_object({"i": subscriber_id, "h": _address_hash(email)})


def unsubscribe_token(subscriber_id: int, email: str) -> str:
    return UnsubscribeSigner().token(subscriber_id, email)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The subscriber id and the hash of the address the link was made for."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        return int(data["i"]), str(data["h"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadToken(
            _("This unsubscribe link is not valid. Please copy the whole link.")
        ) from None


def matches_address(address_hash: str, email: str) -> bool:
    return hmac.compare_digest(address_hash, _address_hash(email))


WEBHOOK_UNSUBSCRIBE_SALT = "notifier.webhook.unsubscribe"


def _secret_hash(secret: str) -> str:
    # Ties the link to this endpoint: one registered again later has a new secret.
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class WebhookUnsubscribeSigner(KeyedSigner):
    """Makes the tokens `signing.Signer(salt=WEBHOOK_UNSUBSCRIBE_SALT).sign_object` makes."""

    def __init__(self) -> None:
        super().__init__(WEBHOOK_UNSUBSCRIBE_SALT)

    def token(self, endpoint_id: int, secret: str) -> str:
        return self.sign_object({"i": endpoint_id, "h": _secret_hash(secret)})


def webhook_unsubscribe_token(
    endpoint_id: int, secret: str, signer: WebhookUnsubscribeSigner | None = None
) -> str:
    """`signer`: one kept for a batch, so the key is derived once, not per endpoint."""
    return (signer or WebhookUnsubscribeSigner()).token(endpoint_id, secret)


def read_webhook_unsubscribe_token(token: str) -> tuple[int, str]:
    """The endpoint id and the hash of the secret the link was made for."""
    try:
        data = signing.Signer(salt=WEBHOOK_UNSUBSCRIBE_SALT).unsign_object(token)
        return int(data["i"]), str(data["h"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadToken(
            _("This unsubscribe link is not valid. Please copy the whole link.")
        ) from None


def matches_secret(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash, _secret_hash(secret))


MANAGE_SALT = "notifier.manage"


def _key_hash(key: str) -> str:
    # Ties the link to the subscriber's key: a new key (or a new subscriber on a reused id)
    # voids the links made before.
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def manage_token(subscriber_id: int, key: str, signer: KeyedSigner | None = None) -> str:
    """The token of a reader's own page: short enough for an SMS, URL-safe, no address in it.

    `signer`: a `ManageSigner` kept for a batch, so the key is derived once, not per reader.
    """
    return (signer or ManageSigner()).sign(f"{subscriber_id}-{_key_hash(key)}")


class ManageSigner(KeyedSigner):
    def __init__(self) -> None:
        super().__init__(MANAGE_SALT)


def read_manage_token(token: str) -> tuple[int, str]:
    """The subscriber id and the hash of the key the link was made for."""
    try:
        value = signing.Signer(salt=MANAGE_SALT).unsign(token)
        subscriber_id, key_hash = value.split("-", 1)
        return int(subscriber_id), key_hash
    except (signing.BadSignature, ValueError):
        raise BadToken(_("This link is not valid. Please copy the whole link.")) from None


def matches_key(key_hash: str, key: str) -> bool:
    return hmac.compare_digest(key_hash, _key_hash(key))
