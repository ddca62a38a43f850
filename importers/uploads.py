"""Statuspage and Cachet files uploaded in the console, kept from their preview to their apply.

Each upload waits in its own private folder (mode 0700) under the system temp folder (or
IMPORT_UPLOAD_DIR), never under a public path, with what was asked of it (source, address,
zone, consent) in `request.json` beside the files. Applying it removes the folder; a folder
older than IMPORT_UPLOAD_MAX_AGE is removed by the next upload or look-up. The folder's name
is a random token: it is the only handle the console gives out.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from importers import errors
from importers.history_writer import ImportReport
from importers.imports import import_cachet, import_statuspage

STATUSPAGE, CACHET = "statuspage", "cachet"
SOURCES = {STATUSPAGE: "Atlassian Statuspage", CACHET: "Cachet"}
REQUEST_FILE = "request.json"
SUBSCRIBERS_FOLDER = "subscribers"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# The item lines a preview keeps (the counts cover every item).
PREVIEW_LINES = 1000


class UploadRefused(ValueError):
    """The source cannot be imported as it stands; the message names the uploaded file and item."""


class UploadGone(LookupError):
    """The upload was applied, removed after IMPORT_UPLOAD_MAX_AGE, or never existed."""


@dataclass
class PendingImport:
    token: str
    source: str
    file_names: list[str] = field(default_factory=list)
    subscribers_name: str = ""
    url: str = ""
    zone: str = ""
    keep_consent: bool = False
    uploaded_at: float = 0.0
    summary: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    more_lines: int = 0

    @property
    def source_label(self) -> str:
        return SOURCES[self.source]

    @property
    def described(self) -> str:
        names = [self.url] if self.url else list(self.file_names)
        if self.subscribers_name:
            names.append(f"subscribers from {self.subscribers_name}")
        return ", ".join(names)


def upload_root() -> Path:
    root = Path(settings.IMPORT_UPLOAD_DIR or tempfile.gettempdir()) / "statuspage-import-uploads"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def safe_name(name: str) -> str:
    """The uploaded name without folders or odd characters (Statuspage files go by their name)."""
    cleaned = SAFE_NAME.sub("-", Path(name.replace("\\", "/")).name).strip(".-")
    return cleaned or "upload.json"


def remove_stale(now: float | None = None) -> None:
    cutoff = (now or time.time()) - settings.IMPORT_UPLOAD_MAX_AGE
    for folder in upload_root().iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _folder(token: str) -> Path:
    remove_stale()
    folder = upload_root() / token
    if not TOKEN.match(token) or not (folder / REQUEST_FILE).is_file():
        raise UploadGone(token)
    return folder


def load(token: str) -> PendingImport:
    return PendingImport(**json.loads((_folder(token) / REQUEST_FILE).read_text("utf-8")))


def discard(token: str) -> None:
    if TOKEN.match(token):
        shutil.rmtree(upload_root() / token, ignore_errors=True)


def _store(folder: Path, name: str, chunks: Iterable[bytes]) -> None:
    with (folder / name).open("xb") as out:
        for chunk in chunks:
            out.write(chunk)


def _run(
    pending: PendingImport, folder: Path, *, dry_run: bool, say: Callable[[str], None] | None
) -> ImportReport:
    zone = ZoneInfo(pending.zone) if pending.zone else None
    subscribers = folder / SUBSCRIBERS_FOLDER / pending.subscribers_name
    try:
        if pending.source == STATUSPAGE:
            return import_statuspage(
                [folder / name for name in pending.file_names],
                url=pending.url,
                subscribers_csv=subscribers if pending.subscribers_name else None,
                zone=zone,
                dry_run=dry_run,
                keep_consent=pending.keep_consent,
                say=say,
            )
        files = [folder / name for name in pending.file_names]
        return import_cachet(
            files[0] if len(files) == 1 else folder,
            zone=zone,
            dry_run=dry_run,
            keep_consent=pending.keep_consent,
            say=say,
        )
    except errors.SourceError as error:
        # Name the file as it was uploaded, not where it waits; the form has a zone field.
        message = str(error).replace(f"{folder}/", "").replace(str(folder), "the upload")
        message = message.replace(
            "with --zone (for example --zone ", "in the zone field (for example "
        )
        raise UploadRefused(message.replace("--zone", "the zone field")) from None


def preview(
    source: str,
    files: Iterable[tuple[str, Iterable[bytes]]] = (),
    *,
    subscribers: tuple[str, Iterable[bytes]] | None = None,
    url: str = "",
    zone: str = "",
    keep_consent: bool = False,
) -> PendingImport:
    """Keep the upload and dry-run it; UploadRefused removes it again."""
    remove_stale()
    token = secrets.token_urlsafe(24)
    folder = upload_root() / token
    folder.mkdir(mode=0o700)
    try:
        pending = PendingImport(token, source, url=url, zone=zone, keep_consent=keep_consent)
        for name, chunks in files:
            stored = safe_name(name)
            if stored in pending.file_names or stored == REQUEST_FILE:
                raise UploadRefused(f"{name}: was uploaded twice (give each file once)")
            _store(folder, stored, chunks)
            pending.file_names.append(stored)
        if subscribers is not None:
            (folder / SUBSCRIBERS_FOLDER).mkdir(mode=0o700)
            pending.subscribers_name = safe_name(subscribers[0])
            _store(folder / SUBSCRIBERS_FOLDER, pending.subscribers_name, subscribers[1])
        lines: list[str] = []
        report = _run(pending, folder, dry_run=True, say=lines.append)
        pending.summary = report.summary()
        pending.lines = lines[:PREVIEW_LINES]
        pending.more_lines = max(0, len(lines) - PREVIEW_LINES)
        pending.uploaded_at = time.time()
        (folder / REQUEST_FILE).write_text(json.dumps(asdict(pending)), "utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return pending


def apply(token: str) -> tuple[PendingImport, ImportReport]:
    """Import the upload for real, then remove it (whether or not the import succeeded)."""
    folder = _folder(token)
    pending = load(token)
    try:
        return pending, _run(pending, folder, dry_run=False, say=None)
    finally:
        discard(token)
