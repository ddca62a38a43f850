"""Plain TCP: the port accepts a connection (and, if a text is expected, says it first)."""

from __future__ import annotations

from probes.runners.attempt import Attempt, close_quietly
from probes.spec import ProbeFailure


async def check(attempt: Attempt) -> None:
    reader, writer = await attempt.connect()
    try:
        expected = attempt.spec.expected_text
        if expected:
            attempt.step = "greeting"
            first = await reader.read(1024)
            if not first:
                raise ConnectionResetError
            if expected not in first.decode("utf-8", "replace"):
                raise ProbeFailure(f"greeting did not contain {expected!r}")
    finally:
        close_quietly(writer)
