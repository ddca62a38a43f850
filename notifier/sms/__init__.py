"""Sending SMS through the provider SMS_PROVIDER names (twilio.py, elks.py), numbers and costs.

Each provider module has `settings_needed()` and `send(session, to, body) -> message id`,
raising SendFailed (OptedOut when the number replied STOP at the provider). This package
knows no channel: the SMS channel turns SendFailed into its TransportError.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import requests


class SendFailed(Exception):
    """The provider did not take the message. `permanent`: trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class OptedOut(SendFailed):
    """The provider refuses the number for good because its owner replied STOP."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def provider() -> ModuleType | None:
    from notifier.sms import elks, twilio

    return {"twilio": twilio, "46elks": elks}.get(settings.SMS_PROVIDER)


def missing_settings() -> list[str]:
    """What must still be set before SMS can be sent; empty when ready."""
    chosen = provider()
    if chosen is None:
        return ["SMS_PROVIDER (twilio or 46elks)"]
    needed: dict[str, str] = chosen.settings_needed()
    return [name for name, value in needed.items() if not value]


def session() -> requests.Session:
    import requests  # where used: see notifier/channels/social.py

    chosen = provider()
    assert chosen is not None
    http = requests.Session()
    http.auth = chosen.credentials()
    http.headers["User-Agent"] = f"{settings.SITE_NAME} ({settings.SITE_URL})"
    return http


def send(http: requests.Session, to: str, body: str) -> str:
    """Send one SMS to an E.164 number; the provider's id of the message."""
    chosen = provider()
    if chosen is None:
        raise SendFailed("SMS is off: SMS_PROVIDER is not set.", permanent=True)
    reference: str = chosen.send(http, to, body)
    return reference


def retry_after(response: requests.Response) -> float | None:
    header = response.headers.get("Retry-After", "").strip()
    return float(header) if header.isdigit() else None


def post_form(
    http: requests.Session, url: str, fields: dict[str, str], name: str
) -> tuple[requests.Response, bytes]:
    """POST a form to a provider: its answer (the first 4 KiB), or a transient failure."""
    import requests
    import urllib3

    try:
        with http.post(
            url,
            data=fields,
            timeout=settings.OUTBOUND_HTTP_TIMEOUT,
            allow_redirects=False,
            stream=True,
        ) as response:
            answer = response.raw.read(4096, decode_content=True) or b""
    except (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL) as error:
        raise SendFailed(f"{name} API address: {error}", permanent=True) from error
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        # Timeouts and lost connections, while sending or reading the answer.
        raise SendFailed(f"Cannot reach {name}: {error!r}", permanent=False) from error
    return response, answer
