"""HTTPS: the status, a text in the first bytes of the body, and the certificate.

HTTP/1.0 with `Connection: close`, so the body is never chunked and ends with the connection.
"""

from __future__ import annotations

from asyncio import StreamReader

from probes.runners.attempt import Attempt, close_quietly
from probes.spec import ProbeFailure


async def check(attempt: Attempt) -> None:
    spec = attempt.spec
    reader, writer = await attempt.connect()
    try:
        attempt.step = "HTTP response"
        path = spec.path if spec.path.startswith("/") else f"/{spec.path}"
        request = (
            f"GET {path} HTTP/1.0\r\nHost: {_host_header(attempt)}\r\n"
            "User-Agent: statuspage-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        )
        writer.write(request.encode("idna" if not spec.host.isascii() else "ascii"))
        await writer.drain()
        status = _status(await attempt.read_line(reader))
        while await attempt.read_line(reader):
            pass  # headers
        _check_status(status, spec.expected_status)
        if spec.expected_text:
            attempt.step = "HTTP body"
            body = await _read_at_most(reader, attempt.options.body_bytes)
            if spec.expected_text not in body.decode("utf-8", "replace"):
                kib = attempt.options.body_bytes // 1024
                raise ProbeFailure(
                    f"body did not contain {spec.expected_text!r} in its first {kib} KiB"
                )
    finally:
        close_quietly(writer)


def _host_header(attempt: Attempt) -> str:
    """The host (an IPv6 address in brackets), with the port when it is not the default."""
    spec = attempt.spec
    host = f"[{spec.host}]" if ":" in spec.host else spec.host
    default = 443 if spec.uses_tls else 80
    return host if spec.target_port == default else f"{host}:{spec.target_port}"


def _status(line: str) -> int:
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ProbeFailure(f"not an HTTP answer: {line[:60]!r}")
    return int(parts[1])


def _check_status(status: int, expected: int | None) -> None:
    if expected is not None and status != expected:
        raise ProbeFailure(f"HTTP status {status}, expected {expected}")
    if expected is None and not 200 <= status < 400:
        raise ProbeFailure(f"HTTP status {status}")


async def _read_at_most(reader: StreamReader, limit: int) -> bytes:
    body = b""
    while len(body) < limit:
        chunk = await reader.read(limit - len(body))
        if not chunk:
            break
        body += chunk
    return body
