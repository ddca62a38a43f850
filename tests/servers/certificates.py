"""Throwaway certificates for TLS servers on loopback, made with the openssl command.

    certs = TestCertificates(directory)
    certs.ca                                   # the test CA's certificate (PROBE_CA_FILE)
    certs.leaf("valid", days=30)               # (certificate, key), signed by the test CA
    certs.leaf("soon", days=5)                 # expires in 5 days
    certs.leaf("old", valid_from=-60, days=-30)  # expired 30 days ago
    certs.self_signed("alone")                 # trusted by nobody

Leaves are for 127.0.0.1 and localhost. `openssl ca` is used because it, unlike `openssl x509`
in OpenSSL 3.0, sets any validity period, past ones included.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

NAMES = "IP:127.0.0.1,DNS:localhost"
KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

CA_CONFIG = """\
[ ca ]
default_ca = test
[ test ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
default_md = sha256
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${{ENV::LEAF_NAMES}}
"""


def _openssl(*arguments: str, names: str = NAMES) -> None:
    environment = {**os.environ, "LEAF_NAMES": names}
    subprocess.run(["openssl", *arguments], check=True, capture_output=True, env=environment)


def _openssl_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


class TestCertificates:
    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / "issued").mkdir(parents=True, exist_ok=True)
        (directory / "index.txt").write_text("")
        (directory / "serial").write_text("1000\n")
        self.config = directory / "ca.cnf"
        self.config.write_text(CA_CONFIG.format(dir=directory))
        self.ca = directory / "ca.pem"
        self.ca_key = directory / "ca.key"
        _openssl(
            "req", "-x509", *KEY, "-keyout", str(self.ca_key), "-out", str(self.ca),
            "-days", "30", "-subj", "/CN=statuspage test CA",
        )  # fmt: skip

    def leaf(
        self, name: str, *, days: float = 30, valid_from: float = -1, names: str = NAMES
    ) -> tuple[Path, Path]:
        """A certificate for `names`, valid from `valid_from` days from now to `days` from now."""
        certificate, key, request = (
            self.directory / f"{name}{s}" for s in (".pem", ".key", ".csr")
        )
        _openssl(
            "req", "-new", *KEY, "-keyout", str(key), "-out", str(request), "-subj", "/CN=127.0.0.1"
        )
        now = datetime.now(UTC)
        _openssl(
            "ca", "-batch", "-notext", "-config", str(self.config), "-extensions", "leaf",
            "-cert", str(self.ca), "-keyfile", str(self.ca_key),
            "-startdate", _openssl_time(now + timedelta(days=valid_from)),
            "-enddate", _openssl_time(now + timedelta(days=days)),
            "-in", str(request), "-out", str(certificate), names=names,
        )  # fmt: skip
        key.chmod(0o644)  # servers that read it after dropping root (nginx workers do not)
        return certificate, key

    def self_signed(self, name: str, *, days: int = 30) -> tuple[Path, Path]:
        certificate, key = self.directory / f"{name}.pem", self.directory / f"{name}.key"
        _openssl(
            "req", "-x509", *KEY, "-keyout", str(key), "-out", str(certificate),
            "-days", str(days), "-subj", "/CN=127.0.0.1", "-addext", f"subjectAltName={NAMES}",
        )  # fmt: skip
        return certificate, key
