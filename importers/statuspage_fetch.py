"""Reading a Statuspage page's public v2 documents from its address into files.

https only (plain http to loopback when IMPORT_ALLOW_HTTP_LOOPBACK is on, for tests); each
document is bounded in size (IMPORT_FETCH_MAX_BYTES) and time (IMPORT_FETCH_TIMEOUT), and a
redirect is held to the same rule. Statuspage's public incidents.json holds the page's 50
latest incidents; an older history needs the page's export.
"""

from __future__ import annotations

import ipaddress
import time
import urllib.error
import urllib.request
from http.client import HTTPMessage
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings

from importers.history_items import SourceError
from importers.statuspage import FILE_NAMES

CHUNK = 64 * 1024


def fetch_statuspage(url: str, into: Path) -> list[Path]:
    """Save the page's summary, components, incidents and maintenance documents in `into`."""
    base = url.rstrip("/")
    _check_allowed(base)
    opener = urllib.request.build_opener(_CheckedRedirects())
    return [_fetch(opener, f"{base}/api/v2/{name}", into / name) for name in FILE_NAMES]


def _check_allowed(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and settings.IMPORT_ALLOW_HTTP_LOOPBACK and _loopback(parts.hostname):
        return
    raise SourceError(url, "give the page's https:// address")


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        _check_allowed(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(opener: urllib.request.OpenerDirector, url: str, path: Path) -> Path:
    limit, seconds = settings.IMPORT_FETCH_MAX_BYTES, settings.IMPORT_FETCH_TIMEOUT
    deadline = time.monotonic() + seconds
    # The scheme was checked: https, or http to loopback when allowed.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with opener.open(request, timeout=seconds) as response, path.open("wb") as out:
            read = 0
            while chunk := response.read(CHUNK):
                read += len(chunk)
                if read > limit:
                    raise SourceError(url, f"is larger than {limit:,} bytes")
                if time.monotonic() > deadline:
                    raise SourceError(url, f"took longer than {seconds} s")
                out.write(chunk)
    except urllib.error.HTTPError as error:
        raise SourceError(url, f"answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise SourceError(url, f"could not be read ({reason})") from None
    return path
