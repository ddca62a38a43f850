"""DNS: the name's A, AAAA or MX records are what staff expect, asked of a set resolver.

PROBE_DNS_RESOLVER ("address" or "address:port") names the resolver; unset, the system's.
"""

from __future__ import annotations

import re

import dns.asyncresolver
import dns.exception
import dns.resolver

from probes.runners.attempt import Attempt
from probes.spec import ProbeFailure, RunOptions


async def check(attempt: Attempt) -> None:
    spec = attempt.spec
    record_type = spec.record_type or "A"
    attempt.step = "DNS answer"
    resolver = _resolver(attempt.options, spec.timeout_seconds)
    try:
        answer = await resolver.resolve(
            spec.host, record_type, source=attempt.options.source_address or None
        )
    except dns.resolver.NXDOMAIN:
        raise ProbeFailure(f"{spec.host} does not exist (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        raise ProbeFailure(f"{spec.host} has no {record_type} record") from None
    except dns.resolver.NoNameservers as error:
        answered = re.search(r"answered (\w+)", str(error))
        how = f"answered {answered.group(1)}" if answered else "gave no answer"
        raise ProbeFailure(f"the resolver {how} for {spec.host}") from None
    except dns.exception.Timeout:
        raise TimeoutError from None
    found = sorted(_value(record_type, rdata) for rdata in answer)
    expected = spec.expected_values
    if expected and not _matches(record_type, expected, found):
        raise ProbeFailure(
            f"{record_type} {spec.host} resolved to {', '.join(found)}; "
            f"expected {', '.join(expected)}"
        )


def _resolver(options: RunOptions, timeout: float) -> dns.asyncresolver.Resolver:
    if not options.dns_resolver:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        address, port = _address_and_port(options.dns_resolver)
        resolver.nameservers = [address]
        resolver.port = port
    resolver.lifetime = timeout
    return resolver


def _address_and_port(text: str) -> tuple[str, int]:
    """ "192.0.2.1", "192.0.2.1:5353", "2001:db8::1" or "[2001:db8::1]:5353"."""
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        return address, int(rest.lstrip(":") or 53)
    if text.count(":") == 1:
        address, port = text.split(":")
        return address, int(port)
    return text, 53


def _value(record_type: str, rdata: object) -> str:
    if record_type == "MX":
        return f"{rdata.preference} {_name(str(rdata.exchange))}"  # type: ignore[attr-defined]
    return str(rdata).lower()


def _name(text: str) -> str:
    return text.lower().rstrip(".")


def _matches(record_type: str, expected: tuple[str, ...], found: list[str]) -> bool:
    """Same set of values; an expected MX without a preference matches any preference."""
    if record_type != "MX":
        return sorted(value.lower() for value in expected) == found
    found_hosts = sorted(value.split(" ", 1)[1] for value in found)
    wanted = [value.split() for value in expected]
    if all(len(parts) == 1 for parts in wanted):
        return sorted(_name(parts[0]) for parts in wanted) == found_hosts
    return sorted(f"{parts[0]} {_name(parts[-1])}" for parts in wanted) == found
