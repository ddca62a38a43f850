"""The demo's probes: real checks of what `make run` itself serves, and Runbox's own, off.

`make run` has no Runbox to watch, and a demo on every developer's machine knocking on a
real provider's servers every minute would be rude. So the enabled probes aim at what
`manage.py serve` runs beside the site, a real HTTP server and a real SMTP server on
loopback, named as the stand-ins they are; their results go through the whole path (beat,
claim, network, results, hourly figures, the signal). The probes of Runbox's real endpoints
come disabled: an admin turns them on where the network allows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from incidents.models import Component, Probe, ProbeKind, TlsMode

STAND_INS = "Local stand-in: "


def demo_probes() -> list[dict[str, Any]]:
    site = {
        "component": "Website",
        "name": STAND_INS + "this status site over HTTP",
        "kind": ProbeKind.HTTPS,
        "tls": TlsMode.NONE,
        "host": "127.0.0.1",
        "port": settings.SERVE_PORT,
        "path": "/",
        "expected_status": 200,
        "expected_text": "Runbox",
        "timeout_seconds": 5,
    }
    outbox = {
        "component": "SMTP",
        "name": STAND_INS + "the outbox's SMTP server",
        "kind": ProbeKind.SMTP,
        "tls": TlsMode.NONE,
        "host": "127.0.0.1",
        "port": settings.EMBEDDED_SMTP_PORT,
        "timeout_seconds": 5,
    }
    runbox = [
        ("IMAP", "mail.runbox.com IMAP", ProbeKind.IMAP, 993, TlsMode.IMPLICIT),
        ("POP", "mail.runbox.com POP", ProbeKind.POP, 995, TlsMode.IMPLICIT),
        ("SMTP", "mail.runbox.com submission (465)", ProbeKind.SMTP, 465, TlsMode.IMPLICIT),
        ("SMTP", "mail.runbox.com submission (587)", ProbeKind.SMTP, 587, TlsMode.STARTTLS),
    ]
    real = [
        {"component": c, "name": n, "kind": k, "host": "mail.runbox.com", "port": p, "tls": t,
         "enabled": False}
        for c, n, k, p, t in runbox
    ]  # fmt: skip
    # The outbox runs only when no relay is configured (EMAIL_URL unset).
    return [site, *([outbox] if settings.EMBEDDED_SMTP else []), *real]


def load_demo_probes(components: dict[str, Component]) -> tuple[int, int]:
    """Add the demo's probes to the components that exist; (created, already there)."""
    created = present = 0
    for row in demo_probes():
        fields = dict(row)
        component = components.get(fields.pop("component"))
        if component is None:
            continue
        _, new = Probe.objects.get_or_create(
            component=component, name=fields.pop("name"), defaults=fields
        )
        created, present = created + new, present + (not new)
    return created, present
