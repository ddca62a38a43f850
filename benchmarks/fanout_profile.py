"""Where one mail's time goes: the dispatcher timed step by step in this process.

benchmarks/fanout.py calls `breakdown()` once the worker has stopped, with Django set up on the
same PostgreSQL server and smtp-sink: it runs the real `dispatch.run` over 2,000 deliveries in
batches of 200 and times the steps by wrapping the functions that do them, then one smtplib
connection sending the same bytes, for comparison. Wall time per mail, one process, so the
figures add up; the wrappers cost a few microseconds per call.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

MAILS = 2000


@contextmanager
def timed(spent: dict[str, float], name: str, owner: Any, attribute: str) -> Iterator[None]:
    """Add the time spent in owner.attribute to spent[name] while the block runs."""
    original = getattr(owner, attribute)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    with mock.patch.object(owner, attribute, wrapper):
        yield


def breakdown(incident_id: int, sink_host: str, sink_port: int) -> dict[str, float]:
    """Milliseconds per mail of each step, over the first MAILS deliveries of the incident."""
    from benchmarks.fanout import the_same_bytes
    from notifier import dispatch, expansion, journal
    from notifier.channels import smtp_pipelining
    from notifier.channels.email import EmailChannel
    from notifier.models import Delivery, Expansion

    # The worker has stopped: write the deliveries here (their tasks go to a queue nobody reads).
    for mailing in Expansion.objects.filter(notice__incident=incident_id):
        expansion.expand_mailing_list(mailing.pk)
    ids = list(
        Delivery.objects.filter(notice__incident=incident_id, channel="email")
        .order_by("id")
        .values_list("id", flat=True)[:MAILS]
    )
    dispatch.run(ids[:50])  # templates compiled, connections open
    ids = ids[50:]
    spent = dict.fromkeys(["prepare()", "envelope()", "SMTP", "ledger writes"], 0.0)
    with ExitStack() as stack:
        stack.enter_context(timed(spent, "prepare()", EmailChannel, "prepare"))
        stack.enter_context(timed(spent, "envelope()", EmailChannel, "envelope"))
        stack.enter_context(timed(spent, "SMTP", smtp_pipelining.Pipeline, "send"))
        stack.enter_context(timed(spent, "ledger writes", journal.Journal, "sent"))
        stack.enter_context(timed(spent, "ledger writes", journal, "recover"))
        for step in ("claim", "_record", "_renew"):
            stack.enter_context(timed(spent, "ledger writes", dispatch, step))
        started = time.perf_counter()
        for first in range(0, len(ids), 200):
            dispatch.run(ids[first : first + 200])
        total = time.perf_counter() - started
    # The steps do not overlap: prepare() loads the batch's subscribers and flattens the
    # notice's message once, envelope() makes each mail's bytes (token, link, splice), SMTP
    # sends them (each content with the next envelope), the ledger writes claim, note each
    # mail in the journal and write the journal to the ledger every 100 mails.
    result = {name: seconds * 1000 / len(ids) for name, seconds in spent.items()}
    result["everything else"] = total * 1000 / len(ids) - sum(result.values())
    result["total"] = total * 1000 / len(ids)
    sender, recipients, raw = the_same_bytes(incident_id)
    with smtplib.SMTP(sink_host, sink_port, timeout=10) as smtp:
        started = time.perf_counter()
        for _ in ids:
            smtp.sendmail(sender, recipients, raw)
        result["bare loop, per mail"] = (time.perf_counter() - started) * 1000 / len(ids)
    return {name: round(ms, 3) for name, ms in result.items()}
