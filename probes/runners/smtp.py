"""SMTP on 25/587 (banner 220, EHLO, STARTTLS, certificate) and 465 (TLS from the first byte)."""

from __future__ import annotations

import asyncio

from probes.runners.attempt import Attempt, close_quietly
from probes.spec import ProbeFailure

EHLO_NAME = "statuspage-probe.invalid"


async def check(attempt: Attempt) -> None:
    spec = attempt.spec
    reader, writer = await attempt.connect()
    try:
        attempt.step = "greeting"
        code, banner = await _reply(attempt, reader)
        if code != 220:
            raise ProbeFailure(f"banner was {code}, not 220: {banner[:80]!r}")
        if spec.expected_text and spec.expected_text not in banner:
            raise ProbeFailure(f"banner did not contain {spec.expected_text!r}")
        extensions = await _ehlo(attempt, reader, writer)
        if spec.tls == "starttls":
            if "STARTTLS" not in extensions:
                raise ProbeFailure("server does not offer STARTTLS")
            attempt.step = "STARTTLS reply"
            await attempt.send(writer, "STARTTLS")
            code, text = await _reply(attempt, reader)
            if code != 220:
                raise ProbeFailure(f"STARTTLS refused: {code} {text[:80]}")
            await attempt.start_tls(writer)
            await _ehlo(attempt, reader, writer)
        attempt.step = "QUIT reply"
        await attempt.send(writer, "QUIT")
    finally:
        close_quietly(writer)


async def _ehlo(
    attempt: Attempt, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> set[str]:
    attempt.step = "EHLO reply"
    await attempt.send(writer, f"EHLO {EHLO_NAME}")
    code, text = await _reply(attempt, reader)
    if code != 250:
        raise ProbeFailure(f"EHLO refused: {code} {text.splitlines()[0][:80] if text else ''}")
    return {line.split(" ", 1)[0].upper() for line in text.splitlines()[1:]}


async def _reply(attempt: Attempt, reader: asyncio.StreamReader) -> tuple[int, str]:
    """A (multi-line) reply: its code and its lines' text joined by newlines."""
    lines = []
    while True:
        line = await attempt.read_line(reader)
        if len(line) < 3 or not line[:3].isdigit():
            raise ProbeFailure(f"not an SMTP reply: {line[:80]!r}")
        lines.append(line[4:])
        if line[3:4] != "-":
            return int(line[:3]), "\n".join(lines)
