"""The console benchmark's browser: a keep-alive session that signs in with TOTP and posts updates.

Used by benchmarks/console.py; it parses forms as a browser would submit them, so the
round trip sends what the page really asks for.
"""

from __future__ import annotations

import hmac
import struct
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

USERNAME = "bench-editor"
PASSWORD = "a long benchmark passphrase 7"


class FormFields(HTMLParser):
    """What a browser would submit for the first form: inputs, checked boxes, selects, text."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Any] = {}
        self.depth = 0
        self.done = False
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self.done:
            return
        if tag == "form":
            self.depth += 1
        if not self.depth or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in {"submit", "button"}:
                self.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.fields[self._select], self._selected = value, True
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._selected:
                self.fields[self._select] = self._first_option or ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.depth:
            self.depth -= 1
            self.done = not self.depth

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str) -> dict[str, Any]:
    parser = FormFields()
    parser.feed(html)
    if not parser.fields:
        raise RuntimeError(f"no form in the answer: {html[:300]!r}")
    return parser.fields


def totp(key_hex: str, step: int, t0: int, digits: int, at: float | None = None) -> str:
    """RFC 6238 with SHA-1, as django-otp's TOTPDevice computes it."""
    counter = int(((at or time.time()) - t0) // step)
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), "sha1").digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


class Staff:
    """One browser: a keep-alive connection, cookies, and the htmx headers its clicks send."""

    def __init__(self, base: str, incident: int) -> None:
        import requests

        self.base = base
        self.incident = incident
        self.http = requests.Session()
        self.count = 0

    def sign_in(self, device: dict[str, Any]) -> None:
        login = self.http.get(f"{self.base}/staff/login/?next=/staff/", timeout=30)
        data = form_fields(login.text)
        data.update(username=USERNAME, password=PASSWORD)
        verify = self.http.post(f"{self.base}/staff/login/", data=data, timeout=30)
        if not verify.url.split("?")[0].endswith("/staff/verify/"):
            raise RuntimeError(f"the password was refused: {verify.status_code} {verify.url}")
        data = form_fields(verify.text)
        data["token"] = totp(device["key"], device["step"], device["t0"], device["digits"])
        dashboard = self.http.post(verify.url, data=data, timeout=30)
        card = f'id="incident-{self.incident}"'
        if not dashboard.url.endswith("/staff/") or card not in dashboard.text:
            raise RuntimeError(f"the TOTP code was refused: {dashboard.status_code}")

    def use(self, base: str) -> None:
        """Send the next round trips to another server (same database, same session)."""
        self.base = base

    def _htmx(self, target: str) -> dict[str, str]:
        return {
            "HX-Request": "true",
            "HX-Target": target,
            "HX-Current-URL": f"{self.base}/staff/",
            "X-CSRFToken": self.http.cookies.get("csrftoken", ""),
        }

    def round_trip(self) -> tuple[float, float]:
        """Click "Post update", write, submit: (seconds for the form, seconds for the post)."""
        self.count += 1
        pk = self.incident
        start = time.perf_counter()
        form = self.http.get(
            f"{self.base}/staff/incidents/{pk}/update-form/",
            headers=self._htmx(f"incident-{pk}-form"),
            timeout=60,
        )
        middle = time.perf_counter()
        if form.status_code != 200:
            raise RuntimeError(f"update form: {form.status_code}")
        data = form_fields(form.text)
        message = f"UPDATE {datetime.now(UTC):%H:%M:%S}: benchmark update {self.count}."
        data["body"] = message
        card = self.http.post(
            f"{self.base}/staff/incidents/{pk}/update/",
            data=data,
            headers=self._htmx(f"incident-{pk}"),
            timeout=60,
        )
        end = time.perf_counter()
        if card.status_code != 200 or message not in card.text or "<form" in card.text:
            raise RuntimeError(
                f"the update was not published: {card.status_code} {card.text[:400]}"
            )
        return middle - start, end - middle
