"""Writing the past: an import's changes come dated before the components' last ones.

Live, each change closes a component's period and opens the next, so a change dated before
the last one is refused (OutOfOrderChange). An import brings years of changes, for
components it creates and for components that already have a live history. Under
`importing_history` the actions record the changes as always (statuses, each update's
`component_changes`, the audit log) but write no period; at its end the periods of every
component touched are rebuilt from that record (replay_periods) and their days rolled up
once, as if the history had happened live.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction

from incidents.uptime.days import roll_up_history
from incidents.uptime.replay import replay_periods

# Ids of the components whose history changed, while an import is open.
_touched: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "importing_history", default=None
)


def writing_past() -> bool:
    """Whether an import is open: the actions leave the periods to its end."""
    return _touched.get() is not None


def touched(component_ids: Iterable[int]) -> None:
    """These components' history changed under the open import (nothing outside one)."""
    pending = _touched.get()
    if pending is not None:
        pending.update(component_ids)


@contextmanager
def importing_history() -> Iterator[set[int]]:
    """Write history in any order inside; at the end, in the same transaction, the touched
    components' periods are rebuilt from the record and their days rolled up (their ids are
    what it yields). Nested, the outermost rebuilds."""
    outer = _touched.get()
    if outer is not None:
        yield outer
        return
    pending: set[int] = set()
    with transaction.atomic():
        token = _touched.set(pending)
        try:
            yield pending
        finally:
            _touched.reset(token)
        if pending:
            replay_periods(component_ids=pending)
            roll_up_history(sorted(pending))
