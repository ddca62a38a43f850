"""A fake browser push service: a real HTTPS server on loopback reading pushes as a browser would.

Each subscription is made here with a key pair and auth secret of the test's own (what a browser
generates); every push is decrypted with them (RFC 8291, aes128gcm, through http_ece) and its
VAPID token verified (RFC 8292: an ES256 signature by the key in `k`, `aud` the endpoint's
origin, `exp` at most 24 hours ahead, a `sub`). What fails is answered 400 and recorded.

The name push.example.test is answered at the resolver seam with the server's loopback
address, which OUTBOUND_ALLOW_LOOPBACK lets stand for a public one.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.notifier.loopback import Fake, FakeHandler, reach_by_names, server_tls, serving
from tests.servers.certificates import TestCertificates

NAME = "push.example.test"
PRIVATE_NAME = "private.example.test"  # a name that resolves to a private address
DAY = 24 * 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's side of one subscription: its keys, and the endpoint the service gave it."""

    endpoint: str
    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription(self) -> dict[str, Any]:
        """What PushSubscription.toJSON() gives the page's script."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(
            body, private_key=self.private, auth_secret=self.auth_secret, version="aes128gcm"
        )


@dataclass
class Push:
    """One POST as received, and what reading it found."""

    path: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    vapid_key: str = ""
    problem: str = ""


def verified_claims(authorization: str, origin: str) -> tuple[dict[str, Any], str]:
    """The VAPID token's claims and public key, each checked; AssertionError otherwise."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", f"Authorization scheme {scheme!r}, not vapid"
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = parts["t"], parts["k"]
    signed, _, signature = token.rpartition(".")
    header = json.loads(unb64url(signed.split(".")[0]))
    assert header == {"typ": "JWT", "alg": "ES256"}, header
    raw = unb64url(signature)
    assert len(raw) == 64, "an ES256 signature is r and s, 32 bytes each"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, signed.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("the VAPID signature does not verify") from None
    claims = json.loads(unb64url(signed.split(".")[1]))
    assert claims["aud"] == origin, f"aud {claims['aud']!r}, not {origin!r}"
    assert time.time() < claims["exp"] <= time.time() + DAY, "exp not within 24 hours"
    assert claims.get("sub"), "no sub"
    return claims, key


@dataclass
class PushService(Fake[Push]):
    name: str = NAME
    port: int = 0
    browsers: dict[str, Browser] = field(default_factory=dict)  # by path
    # Planned answers per path, used up in order: (status, headers); then 201.
    answers: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://{self.name}:{self.port}"

    def subscribe(self, name: str = "") -> Browser:
        path = f"/wpush/v2/{secrets.token_urlsafe(24)}"
        browser = Browser(endpoint=f"https://{name or self.name}:{self.port}{path}")
        self.browsers[path] = browser
        return browser

    def delivered(self) -> list[Push]:
        return [push for push in self.received if push.payload is not None]

    def read(self, push: Push) -> None:
        browser = self.browsers.get(push.path)
        if browser is None:
            push.problem = "no such subscription"
            return
        try:
            push.claims, push.vapid_key = verified_claims(
                push.headers.get("Authorization", ""), self.origin
            )
            assert push.headers.get("Content-Encoding") == "aes128gcm"
            push.payload = json.loads(browser.decrypt(push.body))
        except (AssertionError, KeyError, ValueError, http_ece.ECEException) as error:
            push.problem = f"{type(error).__name__}: {error}"


@pytest.fixture(scope="module")
def push_certs(tmp_path_factory) -> TestCertificates:
    return TestCertificates(tmp_path_factory.mktemp("push-certs"))


@contextmanager
def running_push_service(certs: TestCertificates, name: str = NAME) -> Iterator[PushService]:
    """The fake on a free loopback port, its certificate for `name` (and PRIVATE_NAME) signed
    by `certs`' authority, until the block ends (journeys keep one per run, as `localhost`)."""
    state = PushService(name=name)

    class Handler(FakeHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            push = Push(self.path, dict(self.headers.items()), self.body())
            with state.changing():
                planned = state.answers.get(self.path) or []
                if planned:
                    status, headers = planned.pop(0)
                else:
                    state.read(push)
                    status = 400 if push.problem else 201
                    headers = {"Location": f"{state.origin}/m/{len(state.received) + 1}"}
                state.received.append(push)
            self.reply(status, push.problem.encode(), headers)

    tls = server_tls(certs, f"push-{name}", [name, PRIVATE_NAME])
    with serving(Handler, tls=tls) as port:
        state.port = port
        yield state


@pytest.fixture
def push_service(settings, monkeypatch, push_certs: TestCertificates) -> Iterator[PushService]:
    with running_push_service(push_certs) as state:
        dns = {NAME: "127.0.0.1", PRIVATE_NAME: "10.0.0.7"}
        reach_by_names(settings, monkeypatch, push_certs, dns)
        yield state
