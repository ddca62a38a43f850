"""The small interface every notification channel implements.

A channel decides which targets a notice has, and sends one delivery. It
succeeds (returning what the far end calls the message) or raises
TransportError saying whether trying again could help. It never changes
domain rows and never retries by itself: the dispatcher does that.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models.constants import OnConflict
from django.utils import timezone, translation

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from notifier.models import Delivery, Notice


T = TypeVar("T")


class TransportError(Exception):
    """A delivery failed. `permanent`: trying again cannot help (bad credentials, 4xx)."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; a server's own Retry-After wins when longer."""
    base = settings.DELIVERY_RETRY_BASE_SECONDS
    cap = settings.DELIVERY_RETRY_MAX_SECONDS
    delay = random.uniform(base / 2, min(cap, base * 2 ** max(0, attempt - 1)))
    return max(delay, retry_after or 0.0)


def gives_up(delivery: Delivery, error: TransportError) -> bool:
    """Whether a failure is final: the far end refused for good, or we have tried long enough."""
    age = timezone.now() - delivery.created_at
    return error.permanent or age >= timedelta(seconds=settings.DELIVERY_GIVE_UP_AFTER)


class Channel:
    name: ClassVar[str]
    label: ClassVar[str]
    # Batch channels send many deliveries over one session (one SMTP connection).
    batch: ClassVar[bool] = False
    # A transient failure concerns only its own target (one reader's chat hook), not the
    # session (the SMTP relay): a batch goes on past it instead of stopping there.
    independent_targets: ClassVar[bool] = False
    # A target of the static mirror: follows every publish, never offered to readers.
    is_mirror: ClassVar[bool] = False
    # A way readers subscribe: its public name ("SMS") and the URL name of its subscribe page.
    public_label: ClassVar[str] = ""
    subscribe_url_name: ClassVar[str] = ""

    @classmethod
    def on_this_site(cls) -> bool:
        """Whether the channel belongs on this site at all: a second X account in a language
        the site is not in does not, and is left out of every list of channels."""
        return True

    def is_configured(self) -> bool:
        return True

    def why_off(self) -> str:
        """What is missing when the channel is not configured (shown to staff)."""
        return ""

    def fits(self, notice: Notice) -> bool:
        """Whether this kind of notice belongs on this channel by default.

        A component's status set without an incident goes to machines (webhooks, the
        mirror), as Statuspage does: people hear of it through an incident, not a bare
        status change.
        """
        return not notice.component_id

    def targets(self, notice: Notice) -> Iterable[str]:
        return [self.name]

    def create_deliveries(self, notice: Notice) -> int:
        """Write one pending Delivery per target (inside the publishing transaction)."""
        from notifier.models import Delivery

        rows = [Delivery(notice=notice, channel=self.name, target=t) for t in self.targets(notice)]
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        return len(rows)

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        """Load what a batch of sends needs in one go (addresses, rendered text)."""

    def session(self) -> AbstractContextManager[Any]:
        """A connection reused across the sends of one batch."""
        return nullcontext()

    def language_of(self, delivery: Delivery) -> str | None:
        """The language the delivery's reader reads, after prepare(); None: the site's."""
        return None

    def send(self, delivery: Delivery, session: Any) -> str:
        raise NotImplementedError

    def preview(self, notice: Notice) -> str:
        """What this channel would say, for staff before they publish."""
        return ""


class ExpandingChannel(Channel):
    """A channel whose audience may be long (email subscribers, chat hooks, webhooks).

    The publish writes one Expansion row, not a delivery per recipient, so it commits at
    once however many there are; a worker writes the deliveries a chunk at a time and
    queues each chunk as it goes (notifier/expansion.py).
    """

    def audience_ids(self, notice: Notice) -> QuerySet[Any, int]:
        """The ids the notice goes to, a values_list("id", flat=True): each one's target."""
        raise NotImplementedError

    def create_deliveries(self, notice: Notice) -> int:
        from notifier.models import Expansion

        Expansion.objects.get_or_create(notice=notice, channel=self.name)
        return 0

    def expand_page(self, notice: Notice, after: int, limit: int) -> list[int]:
        """Write the deliveries of the next `limit` audience ids above `after`, in id order.

        Returns those ids, [] once the audience is exhausted. Rows that exist already (a
        re-run after a crash) are skipped, so this can run again.
        """
        audience = self.audience_ids(notice).filter(id__gt=after)
        page = list(audience.order_by("id")[:limit])
        if not page:
            return []
        # Queued as soon as written (notifier/expansion.py), so marked so at once: marking
        # them after, a row at a time, cost as much as writing them.
        fresh = audience.filter(id__lte=page[-1])
        insert_deliveries(notice, self.name, fresh, enqueued_at=timezone.now())
        return page


def insert_deliveries(notice: Notice, channel: str, ids: QuerySet[Any, int], **fields: Any) -> int:
    """Write a pending delivery to each id `ids` selects (a values_list("id")), in one
    INSERT ... SELECT: building 10,000 rows in Python cost a publish seconds. `fields`: more
    columns alike for every row (enqueued_at). Rows that exist already are skipped."""
    from notifier.models import Delivery

    try:
        ids_sql, ids_params = ids.order_by().query.sql_with_params()
    except EmptyResultSet:  # .none(): nobody to write
        return 0
    template = Delivery(notice=notice, channel=channel, target="", **fields)
    columns, values, params = [], [], []
    for field in Delivery._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name == "target":
            values.append("CAST(audience.id AS TEXT)")
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
    ops = connection.ops
    insert = ops.insert_statement(on_conflict=OnConflict.IGNORE)
    suffix = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, [], []) or ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{insert} {ops.quote_name(Delivery._meta.db_table)} "  # noqa: S608
            f"({', '.join(columns)}) SELECT {', '.join(values)} FROM ({ids_sql}) audience "
            f"WHERE true {suffix}",
            [*params, *ids_params],
        )
        return max(cursor.rowcount, 0)


class RecentMessages:
    """A notice's message as a channel encoded it, kept in this process for the next batches.

    A fan-out to 10,000 hooks comes in some twenty batches, and building the message anew
    for each took 2 to 6 ms (several queries; a webhook payload about 17). It is kept for
    SECONDS, about a fan-out's span, so a retry long after builds it from what the rows say
    then. Keys name the notice by id and creation time, which a rolled-back test's reused
    id does not share, and the language active when it was built: its words are that
    language's, never sent to a reader of another.
    """

    SECONDS = 60.0
    SIZE = 32

    def __init__(self) -> None:
        self._kept: dict[Hashable, tuple[float, Any]] = {}

    def get(self, channel: str, notice: Notice, build: Callable[[], T]) -> T:
        key = (channel, notice.pk, notice.created_at, translation.get_language())
        now = time.monotonic()
        kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.SECONDS:
            return kept[1]
        value = build()
        if len(self._kept) >= self.SIZE:
            self._kept = {k: v for k, v in self._kept.items() if now - v[0] < self.SECONDS}
            while len(self._kept) >= self.SIZE:
                del self._kept[next(iter(self._kept))]  # the oldest
        self._kept[key] = (now, value)
        return value

    def clear(self) -> None:
        self._kept.clear()


recent_messages = RecentMessages()
