"""The client's address behind a reverse proxy: X-Forwarded-For believed from trusted peers only."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from statuspage.client import client_address
from statuspage.env import ImproperSetting, env_networks

PROXY = "10.0.0.5"


def address(settings, trusted: list[str], peer: str, forwarded: str | None = None) -> str:
    settings.TRUSTED_PROXIES = trusted
    headers = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert address(settings, [], PROXY, "198.51.100.9") == PROXY


def test_a_trusted_proxy_names_the_client(settings):
    assert address(settings, [PROXY], PROXY, "198.51.100.9") == "198.51.100.9"


def test_a_peer_that_is_not_trusted_cannot_claim_another_address(settings):
    assert address(settings, ["10.0.0.0/8"], "203.0.113.4", "198.51.100.9") == "203.0.113.4"


def test_the_right_most_untrusted_hop_wins_over_what_the_client_wrote(settings):
    # The client wrote "1.2.3.4"; nginx appended the address it saw; a second proxy its own.
    chain = "1.2.3.4, 198.51.100.9, 10.0.0.7"
    assert address(settings, ["10.0.0.0/8"], PROXY, chain) == "198.51.100.9"


def test_ipv6_networks_and_bracketed_addresses(settings):
    assert address(settings, ["fd00::/8"], "fd00::1", "[2001:db8::7]") == "2001:db8::7"


def test_junk_in_the_header_falls_back_to_the_last_known_hop(settings):
    assert address(settings, [PROXY], PROXY, "not-an-address") == PROXY
    assert address(settings, ["10.0.0.0/8"], PROXY, "junk, 10.0.0.7") == "10.0.0.7"


def test_a_trusted_proxy_without_the_header_is_the_client(settings):
    assert address(settings, [PROXY], PROXY) == PROXY


def test_trusted_proxies_are_checked_when_settings_load(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, ::1, 192.168.1.300")
    with pytest.raises(ImproperSetting, match=r"192\.168\.1\.300"):
        env_networks("TRUSTED_PROXIES", [])
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, ::1")
    assert env_networks("TRUSTED_PROXIES", []) == ["10.0.0.0/8", "::1"]
