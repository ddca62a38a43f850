"""What a runner is given (a probe's settings, copied off the model) and what it gives back."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from incidents.models import Probe, ProbeKind, TlsMode

DEFAULT_PORTS: dict[tuple[str, str], int] = {
    (ProbeKind.HTTPS, TlsMode.IMPLICIT): 443,
    (ProbeKind.HTTPS, TlsMode.NONE): 80,
    (ProbeKind.SMTP, TlsMode.IMPLICIT): 465,
    (ProbeKind.SMTP, TlsMode.STARTTLS): 25,
    (ProbeKind.SMTP, TlsMode.NONE): 25,
    (ProbeKind.IMAP, TlsMode.IMPLICIT): 993,
    (ProbeKind.IMAP, TlsMode.STARTTLS): 143,
    (ProbeKind.IMAP, TlsMode.NONE): 143,
    (ProbeKind.POP, TlsMode.IMPLICIT): 995,
    (ProbeKind.POP, TlsMode.STARTTLS): 110,
    (ProbeKind.POP, TlsMode.NONE): 110,
}


@dataclass(frozen=True)
class ProbeSpec:
    id: int
    kind: str
    host: str
    port: int | None
    tls: str
    path: str = "/"
    expected_status: int | None = None
    expected_text: str = ""
    record_type: str = ""
    expected_values: tuple[str, ...] = ()
    login_user: str = ""
    timeout_seconds: float = 10
    retries: int = 0
    interval_seconds: int = 60

    @classmethod
    def of(cls, probe: Probe) -> ProbeSpec:
        return cls(
            id=probe.pk,
            kind=probe.kind,
            host=probe.host.strip(),
            port=probe.port,
            tls=probe.tls,
            path=probe.path or "/",
            expected_status=probe.expected_status,
            expected_text=probe.expected_text,
            record_type=probe.record_type,
            expected_values=tuple(
                line.strip() for line in probe.expected_values.splitlines() if line.strip()
            ),
            login_user=probe.login_user,
            timeout_seconds=probe.timeout_seconds,
            retries=probe.retries,
            interval_seconds=probe.interval_seconds,
        )

    @property
    def uses_tls(self) -> bool:
        return self.tls != TlsMode.NONE

    @property
    def target_port(self) -> int:
        if self.port:
            return self.port
        if (self.kind, self.tls) in DEFAULT_PORTS:
            return DEFAULT_PORTS[(self.kind, self.tls)]
        raise ProbeFailure(f"no port given for a {self.kind} probe")


@dataclass(frozen=True)
class RunOptions:
    """Settings every runner reads, taken once per batch (never at import)."""

    ca_file: str = ""
    login_password_file: str = ""
    dns_resolver: str = ""
    source_address: str = ""
    body_bytes: int = 65536
    _contexts: dict[bool, ssl.SSLContext] = field(default_factory=dict, compare=False)

    def tls_context(self, *, verify: bool = True) -> ssl.SSLContext:
        if verify not in self._contexts:
            context = ssl.create_default_context()
            if self.ca_file:
                context.load_verify_locations(cafile=self.ca_file)
            if not verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._contexts[verify] = context
        return self._contexts[verify]

    def login_password(self) -> str:
        """The test account's password, read at each use so a rotated file is followed."""
        if not self.login_password_file:
            raise ProbeFailure("a login is asked but PROBE_LOGIN_PASSWORD_FILE is not set")
        try:
            return Path(self.login_password_file).read_text().strip()
        except OSError as error:
            raise ProbeFailure(
                f"cannot read PROBE_LOGIN_PASSWORD_FILE ({error.strerror})"
            ) from None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    duration_ms: float
    error: str = ""
    cert_expires_at: datetime | None = None


class ProbeFailure(Exception):
    """What a probe found wrong, in words staff read as they are ("banner did not contain ...")."""
