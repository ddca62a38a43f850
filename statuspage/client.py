"""The address of the client behind a request, believing X-Forwarded-For only from our proxies.

Behind a reverse proxy every request comes from the proxy's address, so lockouts, rate
limits and audit records keyed on REMOTE_ADDR would lump every client together. The
proxies named in TRUSTED_PROXIES append the address they were reached from to
X-Forwarded-For; walking that list from the right, the first address that is not itself a
trusted proxy is the client. Anything left of it was written by the client and proves
nothing, and a request from any other peer has its header ignored.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    # Checked when settings load (statuspage.env.env_networks).
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def parse_address(text: str) -> Address | None:
    """An address as a header or REMOTE_ADDR writes it: [::1], and ::ffff:127.0.0.1 as IPv4."""
    text = text.strip().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address in network for network in trusted)


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or what a trusted proxy says it was reached from."""
    peer = request.META.get("REMOTE_ADDR", "")
    trusted = _trusted(tuple(settings.TRUSTED_PROXIES))
    peer_address = parse_address(peer)
    if peer_address is None or not trusted or not _is_trusted(peer_address, trusted):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    client = peer_address
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # A trusted proxy writes addresses; junk here means the header is not one of
            # theirs, so go no further than the last hop that is known.
            break
        client = address
        if not _is_trusted(address, trusted):
            break
    return str(client)
