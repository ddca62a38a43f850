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
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from incidents.models import Component
from incidents.uptime.days import roll_up_history
from incidents.uptime.replay import replay_periods


@dataclass
class ImportedHistory:
    touched: set[int] = field(default_factory=set)  # components whose history changed
    # Components the source describes (created or linked to by name): they existed from
    # the earliest time it speaks of, if not before.
    described: set[int] = field(default_factory=set)
    earliest: datetime | None = None  # the earliest time the source speaks of

    def seen(self, *moments: datetime) -> None:
        """The source speaks of these times: the components it creates existed by then."""
        self.earliest = min([*moments, *([self.earliest] if self.earliest else [])])


_open: contextvars.ContextVar[ImportedHistory | None] = contextvars.ContextVar(
    "importing_history", default=None
)


def writing_past() -> bool:
    """Whether an import is open: the actions leave the periods to its end."""
    return _open.get() is not None


def touched(component_ids: Iterable[int]) -> None:
    """These components' history changed under the open import (nothing outside one)."""
    history = _open.get()
    if history is not None:
        history.touched.update(component_ids)


@contextmanager
def importing_history() -> Iterator[ImportedHistory]:
    """Write history in any order inside; at the end, in the same transaction, the
    components `described` start no later than the earliest time `seen`, and the touched
    ones' periods are rebuilt from the record and their days rolled up. Nested, the
    outermost rebuilds."""
    outer = _open.get()
    if outer is not None:
        yield outer
        return
    history = ImportedHistory()
    with transaction.atomic():
        token = _open.set(history)
        try:
            yield history
        finally:
            _open.reset(token)
        if history.earliest is not None:
            later = Component.objects.filter(
                pk__in=history.described, created_at__gt=history.earliest
            )
            history.touched.update(later.values_list("pk", flat=True))
            later.update(created_at=history.earliest)
        if history.touched:
            replay_periods(component_ids=history.touched)
            roll_up_history(sorted(history.touched))
