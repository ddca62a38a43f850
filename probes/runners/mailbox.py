"""IMAP (993) and POP3 (995): the TLS handshake, the greeting, and optionally a login.

The test account's password is read from PROBE_LOGIN_PASSWORD_FILE at each run and is never
put in a result or a log: a refused login says only that it was refused.
"""

from __future__ import annotations

import asyncio

from probes.runners.attempt import Attempt, close_quietly
from probes.spec import ProbeFailure


async def check_imap(attempt: Attempt) -> None:
    spec = attempt.spec
    reader, writer = await attempt.connect()
    try:
        attempt.step = "greeting"
        greeting = await attempt.read_line(reader)
        if not greeting.startswith("* OK"):
            raise ProbeFailure(f"IMAP greeting was not OK: {greeting[:80]!r}")
        _expect_in_greeting(spec.expected_text, greeting)
        if spec.tls == "starttls":
            await _imap_command(attempt, reader, writer, "s1", "STARTTLS")
            await attempt.start_tls(writer)
        if spec.login_user:
            password = attempt.options.login_password()
            login = f"LOGIN {_imap_quoted(spec.login_user)} {_imap_quoted(password)}"
            await _imap_command(attempt, reader, writer, "l1", login, shown="LOGIN")
        await _imap_command(attempt, reader, writer, "q1", "LOGOUT")
    finally:
        close_quietly(writer)


async def check_pop(attempt: Attempt) -> None:
    spec = attempt.spec
    reader, writer = await attempt.connect()
    try:
        attempt.step = "greeting"
        greeting = await attempt.read_line(reader)
        if not greeting.startswith("+OK"):
            raise ProbeFailure(f"POP greeting was not +OK: {greeting[:80]!r}")
        _expect_in_greeting(spec.expected_text, greeting)
        if spec.tls == "starttls":
            await _pop_command(attempt, reader, writer, "STLS")
            await attempt.start_tls(writer)
        if spec.login_user:
            password = attempt.options.login_password()
            await _pop_command(attempt, reader, writer, f"USER {spec.login_user}", shown="USER")
            await _pop_command(attempt, reader, writer, f"PASS {password}", shown="PASS")
        await _pop_command(attempt, reader, writer, "QUIT")
    finally:
        close_quietly(writer)


def _expect_in_greeting(expected: str, greeting: str) -> None:
    if expected and expected not in greeting:
        raise ProbeFailure(f"greeting did not contain {expected!r}")


def _imap_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def _imap_command(
    attempt: Attempt,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    tag: str,
    command: str,
    *,
    shown: str = "",
) -> None:
    name = shown or command.split(" ", 1)[0]
    attempt.step = f"{name} reply"
    await attempt.send(writer, f"{tag} {command}")
    while True:
        line = await attempt.read_line(reader)
        if line.startswith(f"{tag} "):
            break
    status = line[len(tag) + 1 :]
    if not status.startswith("OK"):
        raise ProbeFailure(f"{name} refused: {status[:80]}")


async def _pop_command(
    attempt: Attempt,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    command: str,
    *,
    shown: str = "",
) -> None:
    name = shown or command.split(" ", 1)[0]
    attempt.step = f"{name} reply"
    await attempt.send(writer, command)
    line = await attempt.read_line(reader)
    if not line.startswith("+OK"):
        raise ProbeFailure(f"{name} refused: {line[:80]}")
