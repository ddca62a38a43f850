"""The importers' entry points, for the management commands and the console's upload page.

Each runs in one transaction: a failure leaves nothing written, and a dry run rolls back
at the end, so its report is exactly what a real run would do (and no mail is sent).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from importers.cachet import read_cachet
from importers.history_items import History
from importers.history_writer import HistoryWriter, ImportReport
from importers.incident_batches import IncidentBatches
from importers.statuspage import read_statuspage
from importers.statuspage_fetch import fetch_statuspage
from importers.subscriber_writer import SubscriberWriter
from importers.subscribers_csv import read_subscribers_csv


def write_history(history: History, report: ImportReport) -> ImportReport:
    """Write every item of `history` (call inside the import's one transaction)."""
    writer = HistoryWriter(history.source, report)
    writer.write_groups(history.groups, history.components_from)
    writer.write_components(history.components, history.components_from)
    incidents = IncidentBatches(writer)
    for incident in history.incidents:
        incidents.add(incident)
    incidents.flush()
    for maintenance in history.maintenance:
        writer.write_maintenance(maintenance)
    writer.settle_component_statuses(history.components)
    return report


def import_statuspage(
    paths: Iterable[Path] = (),
    *,
    url: str = "",
    subscribers_csv: Path | None = None,
    zone: ZoneInfo | None = None,
    dry_run: bool = False,
    keep_consent: bool = False,
    say: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import a Statuspage page from its v2 JSON files or its address, and its subscribers."""
    report = ImportReport(dry_run=dry_run, say=say)
    with tempfile.TemporaryDirectory(prefix="statuspage-import-") as folder:
        if url:
            paths = fetch_statuspage(url, Path(folder))
        history = read_statuspage(list(paths), zone)
        with transaction.atomic():
            write_history(history, report)
            if subscribers_csv is not None:
                writer = SubscriberWriter(history.source, report, keep_consent=keep_consent)
                writer.write(read_subscribers_csv(subscribers_csv, zone))
            transaction.set_rollback(dry_run)
    return report


def import_cachet(
    path: Path,
    *,
    source: str = "cachet",
    zone: ZoneInfo | None = None,
    dry_run: bool = False,
    keep_consent: bool = False,
    say: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import a Cachet API dump (a folder of its JSON answers, or one file holding them all)."""
    report = ImportReport(dry_run=dry_run, say=say)
    history, subscribers = read_cachet(path, zone, source=f"cachet:{source}")
    with transaction.atomic():
        write_history(history, report)
        SubscriberWriter(history.source, report, keep_consent=keep_consent).write(subscribers)
        transaction.set_rollback(dry_run)
    return report
