"""Typed readers for settings that come from the environment.

Each reader fails loudly on a value it cannot parse, so a typo in production
stops the process at start-up instead of running with a silent default.
A variable NAME_FILE, when set, names a file whose contents are the value
(for secrets mounted as files).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# SECRET_KEY when none is set: public, so with it the site serves loopback only
# (statuspage/local_key.py).
BUILT_IN_SECRET_KEY = "local-only-insecure-key-set-SECRET_KEY-in-production"


class ImproperSetting(ValueError):
    pass


def _raw(name: str) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    return value


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperSetting(f"{name}={value!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperSetting(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperSetting(f"{name}={number} is below the minimum {minimum}")
    return number


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperSetting(f"{name}={value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ImproperSetting(f"{name}={value!r} is not a finite number")
    if minimum is not None and number < minimum:
        raise ImproperSetting(f"{name}={value} is below the minimum {minimum}")
    if maximum is not None and number > maximum:
        raise ImproperSetting(f"{name}={value} is above the maximum {maximum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of IP addresses and CIDR networks, each checked."""
    entries = env_list(name, default)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperSetting(
                f"{name} lists {entry!r}, not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return entries


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperSetting(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def env_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperSetting(f"{name}={value!r} is not an IANA time zone") from None
    return value


def env_zones(name: str, default: list[str]) -> list[str]:
    zones = env_list(name, default)
    for zone in zones:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImproperSetting(f"{name} lists {zone!r}, not an IANA time zone") from None
    return zones


@dataclass(frozen=True)
class EmailServer:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    ssl: bool


def served_url(host: str, port: int) -> str:
    """The address a browser on this machine reaches a server listening on host:port at.

    A server listening on every interface (0.0.0.0, ::) is reached through
    loopback; an IPv6 address goes in brackets.
    """
    host = host.strip().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"  # a name
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"


def url_host(url: str) -> str:
    """The host of `url` as ALLOWED_HOSTS spells it (an IPv6 address in brackets)."""
    host = urlsplit(url).hostname or ""
    return f"[{host}]" if ":" in host else host


def parse_email_url(url: str) -> EmailServer:
    """smtp://user:pass@host:587?starttls=true or smtps://host:465 (implicit TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ImproperSetting(f"EMAIL_URL={url!r} is not smtp://host:port or smtps://host:port")
    options = parse_qs(parts.query)
    starttls = options.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"}
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ImproperSetting(f"EMAIL_URL={url!r} has a bad port") from None
    return EmailServer(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=starttls,
        ssl=parts.scheme == "smtps",
    )


def embedded_smtp_port(web_port: int) -> int:
    """The embedded mail server's default port: beside the site's, so two sites differ."""
    return web_port + 25 if web_port + 25 <= 65535 else 8025
