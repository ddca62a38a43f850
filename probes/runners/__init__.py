"""Run one probe (with its retries) and say what it saw; one module per protocol family."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable

from incidents.models import ProbeKind
from probes.runners import dns, http, mailbox, smtp, tcp
from probes.runners.attempt import Attempt, CertificateSeen, describe
from probes.spec import Outcome, ProbeSpec, RunOptions

Runner = Callable[[Attempt], Awaitable[None]]

RUNNERS: dict[str, Runner] = {
    ProbeKind.HTTPS: http.check,
    ProbeKind.SMTP: smtp.check,
    ProbeKind.IMAP: mailbox.check_imap,
    ProbeKind.POP: mailbox.check_pop,
    ProbeKind.DNS: dns.check,
    ProbeKind.TCP: tcp.check,
}


async def run_probe(spec: ProbeSpec, options: RunOptions) -> Outcome:
    """Try up to 1 + retries times, each within the probe's timeout; the last try counts."""
    outcome = Outcome(ok=False, duration_ms=0.0, error="never tried")
    for _ in range(1 + spec.retries):
        outcome = await _try_once(spec, options)
        if outcome.ok:
            break
    return outcome


async def _try_once(spec: ProbeSpec, options: RunOptions) -> Outcome:
    runner = RUNNERS[spec.kind]
    attempt = Attempt(spec, options)
    started = time.monotonic()
    try:
        async with asyncio.timeout(spec.timeout_seconds):
            await runner(attempt)
    except Exception as error:  # every failure becomes a result, none escapes the batch
        duration = (time.monotonic() - started) * 1000
        if isinstance(error, ssl.SSLCertVerificationError) and error.verify_code == 10:
            await _read_expired_certificate(spec, options, attempt)
        return Outcome(False, duration, describe(error, attempt)[:500], attempt.cert_expires_at)
    duration = (time.monotonic() - started) * 1000
    return Outcome(True, duration, "", attempt.cert_expires_at)


async def _read_expired_certificate(spec: ProbeSpec, options: RunOptions, seen: Attempt) -> None:
    """Reconnect without verifying, only to read when the refused certificate expired."""
    unverified = Attempt(spec, options, verify=False)
    try:
        async with asyncio.timeout(spec.timeout_seconds):
            await RUNNERS[spec.kind](unverified)
    except CertificateSeen:
        seen.cert_expires_at = unverified.cert_expires_at
    except Exception:  # the date is a courtesy; the failure is already known
        return
