"""One try of one probe: the connection, TLS, the step it is at, and failures put in words."""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime

from probes.runners.certificates import not_after
from probes.spec import ProbeFailure, ProbeSpec, RunOptions

# OpenSSL's verify codes staff meet most, in words.
_VERIFY_CODES = {
    18: "certificate is self-signed (not trusted)",
    19: "certificate chain ends in a self-signed root that is not trusted",
    20: "certificate issuer is not trusted",
    21: "certificate issuer is not trusted",
}


class CertificateSeen(Exception):
    """Raised by an unverified try once it has the certificate: it was only asked for that."""


@dataclass
class Attempt:
    spec: ProbeSpec
    options: RunOptions
    verify: bool = True
    # What we were waiting for when a timeout struck: "no greeting within 5 s".
    step: str = "connection"
    cert_expires_at: datetime | None = None

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.step = "connection"
        local = (self.options.source_address, 0) if self.options.source_address else None
        reader, writer = await asyncio.open_connection(
            self.spec.host, self.spec.target_port, local_addr=local
        )
        if self.spec.tls == "implicit":
            await self.start_tls(writer)
        return reader, writer

    async def start_tls(self, writer: asyncio.StreamWriter) -> None:
        self.step = "TLS handshake"
        context = self.options.tls_context(verify=self.verify)
        await writer.start_tls(context, server_hostname=self.spec.host)
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        self.cert_expires_at = not_after(der) if der else None
        if not self.verify:
            raise CertificateSeen

    async def read_line(self, reader: asyncio.StreamReader) -> str:
        line = await reader.readline()
        if not line:
            raise ConnectionResetError
        return line.decode("utf-8", "replace").rstrip("\r\n")

    async def send(self, writer: asyncio.StreamWriter, line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()


def close_quietly(writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()


def describe(error: BaseException, attempt: Attempt) -> str:
    """A failure in a few words, naming the step it happened at."""
    timeout = f"{attempt.spec.timeout_seconds:g}"
    step = attempt.step
    match error:
        case ProbeFailure():
            return str(error)
        case TimeoutError():
            return f"no {step} within {timeout} s"
        case ConnectionRefusedError():
            return "connect refused"
        case ssl.SSLCertVerificationError():
            return _certificate_refused(error, attempt)
        case ssl.SSLError() if "EOF" in str(error) or "UNEXPECTED_EOF" in str(error):
            return f"connection closed during {step}"
        case ssl.SSLError():
            return f"TLS handshake failed: {error.reason or error}"
        case ConnectionError() | asyncio.IncompleteReadError() | EOFError():
            return f"connection closed during {step}"
        case socket.gaierror():
            return f"host not found: {attempt.spec.host}"
        case OSError():
            return f"{step} failed: {error.strerror or error}"
    return f"{step} failed: {type(error).__name__}"


def _certificate_refused(error: ssl.SSLCertVerificationError, attempt: Attempt) -> str:
    code = error.verify_code
    if code == 10:  # expired: the date comes from a second, unverified try
        if attempt.cert_expires_at:
            return f"certificate expired on {attempt.cert_expires_at:%Y-%m-%d %H:%M} UTC"
        return "certificate expired"
    if code in (62, 64):  # the name or the IP address is not the certificate's
        return f"certificate is not for {attempt.spec.host}"
    return _VERIFY_CODES.get(code, f"certificate not accepted: {error.verify_message}")
