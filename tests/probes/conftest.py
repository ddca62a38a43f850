"""Real servers the probes aim at, started once per session on free loopback ports."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from probes.batch import run_to_completion
from probes.runners import run_probe
from probes.spec import Outcome, ProbeSpec, RunOptions
from tests.servers.certificates import TestCertificates
from tests.servers.dnsmasq import DnsServer
from tests.servers.dovecot import DovecotServer
from tests.servers.nginx_https import HttpsServer
from tests.servers.smtp_tls import TlsSmtpServer

PROBE_USER, PROBE_PASSWORD = "probe", "correct horse battery"


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="statuspage-probes-") as directory:
        path = Path(directory)
        path.chmod(0o755)
        yield path


@pytest.fixture(scope="session")
def certs(workdir: Path) -> TestCertificates:
    return TestCertificates(workdir / "certs")


@pytest.fixture(scope="session")
def password_file(workdir: Path) -> Path:
    path = workdir / "probe-password"
    path.write_text(PROBE_PASSWORD + "\n")
    return path


@pytest.fixture(scope="session")
def options(certs: TestCertificates, password_file: Path) -> RunOptions:
    return RunOptions(ca_file=str(certs.ca), login_password_file=str(password_file))


@pytest.fixture(scope="session")
def dovecot(workdir: Path, certs: TestCertificates) -> Iterator[DovecotServer]:
    certificate, key = certs.leaf("dovecot")
    users = {PROBE_USER: PROBE_PASSWORD}
    with DovecotServer(workdir, certificate, key, users=users, greeting="Runbox mail") as server:
        yield server


@pytest.fixture(scope="session")
def https_expiring_soon(certs: TestCertificates) -> Iterator[HttpsServer]:
    certificate, key = certs.leaf("web-5-days", days=5)
    pages = {"index.html": "<h1>Runbox status</h1>", "health": "all good"}
    with HttpsServer(certificate, key, pages=pages) as server:
        yield server


@pytest.fixture(scope="session")
def https_expired(certs: TestCertificates) -> Iterator[HttpsServer]:
    certificate, key = certs.leaf("web-expired", valid_from=-60, days=-30)
    with HttpsServer(certificate, key, pages={"index.html": "old"}) as server:
        yield server


@pytest.fixture(scope="session")
def https_self_signed(certs: TestCertificates) -> Iterator[HttpsServer]:
    certificate, key = certs.self_signed("web-alone")
    with HttpsServer(certificate, key, pages={"index.html": "alone"}) as server:
        yield server


@pytest.fixture(scope="session")
def smtp_starttls(certs: TestCertificates) -> Iterator[TlsSmtpServer]:
    certificate, key = certs.leaf("smtp")
    with TlsSmtpServer(certificate, key, banner="mx.runbox.test ESMTP") as server:
        yield server


@pytest.fixture(scope="session")
def smtps(certs: TestCertificates) -> Iterator[TlsSmtpServer]:
    certificate, key = certs.leaf("smtps")
    with TlsSmtpServer(certificate, key, banner="smtps.runbox.test", implicit=True) as server:
        yield server


@pytest.fixture(scope="session")
def dns_server(workdir: Path) -> Iterator[DnsServer]:
    hosts = {"www.runbox.test": ["192.0.2.10", "2001:db8::10"]}
    mx = {"runbox.test": [("mx1.runbox.test", 10), ("mx2.runbox.test", 20)]}
    with DnsServer(workdir, hosts=hosts, mx=mx) as server:
        yield server


def probe(kind: str, port: int | None, tls: str = "implicit", **fields: object) -> ProbeSpec:
    fields.setdefault("timeout_seconds", 3)
    return ProbeSpec(id=1, kind=kind, host="127.0.0.1", port=port, tls=tls, **fields)  # type: ignore[arg-type]


def run(spec: ProbeSpec, options: RunOptions) -> Outcome:
    return run_to_completion(run_probe(spec, options))
