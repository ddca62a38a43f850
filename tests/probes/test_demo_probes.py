"""The demo's probes: what make run serves, enabled; Runbox's real servers, disabled."""

from __future__ import annotations

import pytest
from django.test import override_settings

from actions.demo.probes import load_demo_probes
from incidents.models import Probe
from tests.factories import make_component

pytestmark = pytest.mark.django_db


def components() -> dict:
    return {name: make_component(name) for name in ("Website", "SMTP", "IMAP", "POP")}


def test_the_enabled_demo_probes_aim_only_at_what_make_run_serves_on_loopback():
    with override_settings(SERVE_PORT=8123, EMBEDDED_SMTP=True, EMBEDDED_SMTP_PORT=8125):
        assert load_demo_probes(components()) == (6, 0)

    enabled = Probe.objects.filter(enabled=True)
    assert {(p.host, p.port) for p in enabled} == {("127.0.0.1", 8123), ("127.0.0.1", 8125)}
    assert all(p.name.startswith("Local stand-in: ") for p in enabled)
    assert set(Probe.objects.filter(enabled=False).values_list("host", flat=True)) == {
        "mail.runbox.com"
    }


def test_loading_twice_keeps_one_copy_and_no_outbox_probe_when_a_relay_is_set():
    parts = components()
    with override_settings(EMBEDDED_SMTP=False):
        assert load_demo_probes(parts) == (5, 0)
        assert load_demo_probes(parts) == (0, 5)

    assert not Probe.objects.filter(name__contains="outbox").exists()
