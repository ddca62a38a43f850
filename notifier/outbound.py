"""HTTP to addresses others gave us: the one place that decides whether we may connect.

A URL a subscriber gave (their webhook; later Slack, Teams and Discord incoming webhooks) is
posted only over https, to a host whose every address is globally routable, checked after
resolving the name at send time. The connection then goes to the address that was checked,
never to a second lookup's answer (DNS rebinding), while the Host header, TLS SNI and the
certificate check keep the URL's name. A Client resolves a name once per connection it opens:
later posts over that kept connection go to the same checked address; a new connection is
checked anew. No proxy from the environment is used: a proxy would resolve the name again.

Staff-owned URLs (staff webhooks, the staff alert webhook) may point at private addresses and
plain http: staff run the machines behind them. Both kinds are bounded alike: redirects are
never followed (the 3xx is the answer), at most MAX_ANSWER_BYTES of an answer are read, and the
whole exchange, connecting and reading included, ends after OUTBOUND_HTTP_TIMEOUT seconds.

OUTBOUND_ALLOW_LOOPBACK lets subscriber URLs reach loopback addresses, plain http included
(tests and a local receiver); every other non-public class stays refused.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifier.wire import Connection, Headers, ProtocolError, Watchdog, remaining

MAX_ANSWER_BYTES = 64 * 1024

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# What kind of address a non-public one is, most specific first.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
CLASSES: list[tuple[str, list[ipaddress.IPv4Network | ipaddress.IPv6Network]]] = [
    (
        "a documentation address",
        [
            ipaddress.ip_network(n)
            for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
        ],
    ),
    ("a shared (carrier-grade NAT) address", [ipaddress.ip_network("100.64.0.0/10")]),
    ("a \u201cthis network\u201d address", [ipaddress.ip_network("0.0.0.0/8")]),
    ("a unique-local address", [ipaddress.ip_network("fc00::/7")]),
]
# An http(s) URL whose path needs no more than cutting off its origin: no fragment, no
# whitespace or backslash (urlsplit would drop or read those), not ending in an empty query.
PLAIN_URL = re.compile(r"(https?://[^/?#\s\\]+)(/[^#\s\\]*(?<!\?))")
# IPv6 forms that carry an IPv4 address in their last 32 bits: judged by that address.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class Policy(enum.Enum):
    SUBSCRIBER = "subscriber"  # https to public addresses only
    STAFF = "staff"  # any address, http or https


class Refused(Exception):
    """We will not connect to this URL; trying again cannot help."""


class Unreachable(Exception):
    """The name did not resolve, or the connection or the answer failed: it may pass."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: Headers
    body: bytes  # at most MAX_ANSWER_BYTES


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked address the connection goes to
    path: str

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, IPv4-compatible)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in NAT64 or address in NAT64_LOCAL or address in IPV4_COMPATIBLE:
        last = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return last if int(last) > 1 or address not in IPV4_COMPATIBLE else None
    return None


def address_class(address: Address) -> str | None:
    """What kind of non-public address this is ("a private address"); None when it is public."""
    address = embedded_ipv4(address) or address
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    for label, networks in CLASSES:
        if any(address in network for network in networks):
            return label
    if address.is_private and isinstance(address, ipaddress.IPv4Address):
        rfc1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
        if any(address in ipaddress.ip_network(n) for n in rfc1918):
            return "a private address"
    if not address.is_global:
        return "a reserved address"
    return None


def allowed(address: Address) -> bool:
    kind = address_class(address)
    return kind is None or (kind == "a loopback address" and settings.OUTBOUND_ALLOW_LOOPBACK)


def shown(address: Address) -> str:
    """The address as people write it (::ffff:10.0.0.5, not ::ffff:a00:5)."""
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped else str(address)


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (the seam tests answer for)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def split(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path of an http(s) URL; Refused for anything else."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as error:
        raise Refused(f"refused: {url} is not a valid address ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise Refused(f"refused: {url} is not an http or https address")
    if not host:
        raise Refused(f"refused: {url} has no host")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused(f"refused: {url} has a host name that cannot be encoded") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def check(url: str, policy: Policy) -> Target:
    """Where a post to `url` may connect: resolved once now, every address checked."""
    return checked(url, *split(url), policy)


def checked(url: str, scheme: str, host: str, port: int, path: str, policy: Policy) -> Target:
    try:
        given = literal(host)
        addresses = [given] if given else resolve(host, port)
    except (OSError, UnicodeError, ValueError) as error:
        # Maybe a passing DNS fault: the caller may try again later.
        raise Unreachable(f"{host} does not resolve ({error})") from None
    if not addresses:
        raise Unreachable(f"{host} does not resolve (no addresses)")
    if policy is Policy.SUBSCRIBER:
        for address in addresses:
            if not allowed(address):
                said = f"{host} is" if given else f"{host} resolves to {shown(address)},"
                raise Refused(f"refused: {said} {address_class(address)}")
        loopback_only = all(address_class(a) == "a loopback address" for a in addresses)
        if scheme != "https" and not loopback_only:
            raise Refused(f"refused: {url} is not https (subscriber addresses must be)")
    return Target(scheme, host, port, str(addresses[0]), path)


# What a reader is told when they give a literal address that is not public, by its kind.
NOT_PUBLIC_SENTENCES: dict[str, Promise] = {
    "a documentation address": gettext_lazy(
        "%(host)s is a documentation address; give a public address."
    ),
    "a shared (carrier-grade NAT) address": gettext_lazy(
        "%(host)s is a shared (carrier-grade NAT) address; give a public address."
    ),
    "a \u201cthis network\u201d address": gettext_lazy(
        "%(host)s is a “this network” address; give a public address."
    ),
    "a unique-local address": gettext_lazy(
        "%(host)s is a unique-local address; give a public address."
    ),
    "a cloud metadata address": gettext_lazy(
        "%(host)s is a cloud metadata address; give a public address."
    ),
    "an unspecified address": gettext_lazy(
        "%(host)s is an unspecified address; give a public address."
    ),
    "a loopback address": gettext_lazy("%(host)s is a loopback address; give a public address."),
    "a link-local address": gettext_lazy(
        "%(host)s is a link-local address; give a public address."
    ),
    "a multicast address": gettext_lazy("%(host)s is a multicast address; give a public address."),
    "a private address": gettext_lazy("%(host)s is a private address; give a public address."),
    "a reserved address": gettext_lazy("%(host)s is a reserved address; give a public address."),
}


def validate_subscriber_url(value: str) -> None:
    """At the edge (forms, imports): https, and no literal address that is not public.

    Names are resolved only when sending (check): what a name answers now proves nothing then.
    """
    try:
        scheme, host, _port, _path = split(value)
    except Refused:
        raise ValidationError(
            _("Give an https:// address, such as https://hooks.example.com/status.")
        ) from None
    address = literal(host)
    local = address is not None and address_class(address) == "a loopback address"
    loopback_ok = settings.OUTBOUND_ALLOW_LOOPBACK and (local or host == "localhost")
    if scheme != "https" and not loopback_ok:
        raise ValidationError(_("The address must start with https://."))
    if address is not None and not allowed(address):
        kind = address_class(address) or ""
        sentence = NOT_PUBLIC_SENTENCES.get(kind)
        if sentence is None:
            raise ValidationError(f"{host} is {kind}; give a public address.")
        raise ValidationError(sentence % {"host": host})


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's authorities, for the URL's own name."""
    return ssl.create_default_context()


class Client:
    """Posts over connections kept per checked address, reused when the same one is checked."""

    def __init__(self) -> None:
        self._connections: dict[tuple[str, str, int, str], Connection] = {}
        # (scheme, host, port, policy) -> the key of the connection opened to the address
        # that check() chose for them: valid only while that connection stays open.
        self._checked: dict[tuple[str, str, int, Policy], tuple[str, str, int, str]] = {}
        self._watchdog = Watchdog()
        # split() of each origin (scheme://host:port) seen: a batch's hooks share a few.
        self._origins: dict[str, tuple[str, str, int]] = {}
        self._seconds = settings.OUTBOUND_HTTP_TIMEOUT

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
        self._checked.clear()

    def post(self, url: str, body: bytes, headers: dict[str, str], *, policy: Policy) -> Answer:
        """POST once; Refused when the URL may not be reached, Unreachable when it failed."""
        seconds = self._seconds
        deadline = time.monotonic() + seconds
        target = self._target(url, policy)
        key = (target.scheme, target.address, target.port, target.host)
        reused = key in self._connections
        try:
            return self._exchange(key, target, body, headers, deadline)
        except (OSError, ProtocolError) as error:
            self._drop(key)
            if reused and time.monotonic() < deadline and not isinstance(error, TimeoutError):
                # The kept connection was closed by the far end while idle: one new one, to
                # an address checked anew (the one it had may have come from an earlier post).
                try:
                    target = self._target(url, policy)
                    key = (target.scheme, target.address, target.port, target.host)
                    return self._exchange(key, target, body, headers, deadline)
                except (OSError, ProtocolError) as again:
                    self._drop(key)
                    error = again
            if time.monotonic() >= deadline:
                raise Unreachable(
                    f"Cannot reach {target.host}: no complete answer within {seconds} s"
                ) from None
            raise Unreachable(f"Cannot reach {target.host}: {error!r}") from None

    def _target(self, url: str, policy: Policy) -> Target:
        """check(url), but without resolving the name again while a connection this Client
        opened to the address checked for it is still open: that connection goes nowhere
        else, whatever the name answers now (so no second lookup is ever trusted)."""
        scheme, host, port, path = self._split(url)
        key = self._checked.get((scheme, host, port, policy))
        if key is not None and key in self._connections:
            return Target(scheme, host, port, key[1], path)
        target = checked(url, scheme, host, port, path, policy)
        self._checked[(scheme, host, port, policy)] = (scheme, target.address, port, host)
        return target

    def _split(self, url: str) -> tuple[str, str, int, str]:
        """split(url), its origin's part taken from the last URL with the same origin."""
        plain = PLAIN_URL.fullmatch(url)
        if plain is None:
            return split(url)
        origin, path = plain.groups()
        if origin not in self._origins:
            try:
                self._origins[origin] = split(f"{origin}/")[:3]
            except Refused:
                return split(url)  # refused in the URL's own words
        return (*self._origins[origin], path)

    def _drop(self, key: tuple[str, str, int, str]) -> None:
        self._checked = {name: kept for name, kept in self._checked.items() if kept != key}
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def _connection(
        self, key: tuple[str, str, int, str], target: Target, deadline: float
    ) -> Connection:
        if key in self._connections:
            return self._connections[key]
        sock = connect(target.address, target.port, deadline)
        if target.scheme == "https":
            sock = tls_context().wrap_socket(sock, server_hostname=target.host)
        connection = self._connections[key] = Connection(sock)
        return connection

    def _exchange(
        self,
        key: tuple[str, str, int, str],
        target: Target,
        body: bytes,
        headers: dict[str, str],
        deadline: float,
    ) -> Answer:
        with self._watchdog.exchange(deadline) as watchdog:
            connection = self._connection(key, target, deadline)
            watchdog.watch(connection.sock)
            sent = {"Host": target.host_header, "Accept-Encoding": "identity", **headers}
            reply = connection.exchange(
                "POST", target.path, sent, body, deadline=deadline, limit=MAX_ANSWER_BYTES
            )
            if not reply.reusable:
                self._drop(key)  # unread answer left, or the server closes: cannot carry another
        if watchdog.fired:
            # What was read before the cut may look whole (the close ends a body without length).
            raise TimeoutError("the time limit cut the connection")
        return Answer(reply.status, reply.reason, reply.headers, reply.body)


def connect(address: str, port: int, deadline: float) -> socket.socket:
    """A TCP connection to the address itself (no resolver is asked, not even for a literal)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(remaining(deadline))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock
