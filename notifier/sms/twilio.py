"""Twilio's Programmable Messaging: POST /2010-04-01/Accounts/{Sid}/Messages.json.

Errors come as JSON {"code": 21211, "message": ..., "status": 400}. 429 and 5xx are worth
another try (Twilio's queue is full or failing); other 4xx are not. 21610: the number replied
STOP to our sender, and Twilio will not send to it until it replies START.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings

from notifier.sms import OptedOut, SendFailed, post_form, retry_after

if TYPE_CHECKING:
    import requests

UNSUBSCRIBED = 21610


def settings_needed() -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID)": settings.TWILIO_FROM
        or settings.TWILIO_MESSAGING_SERVICE_SID,
    }


def credentials() -> tuple[str, str]:
    return settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN


def messages_url() -> str:
    return (
        f"{settings.TWILIO_API_URL}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
    )


def form(to: str, body: str) -> dict[str, str]:
    sender = settings.TWILIO_MESSAGING_SERVICE_SID
    origin = {"MessagingServiceSid": sender} if sender else {"From": settings.TWILIO_FROM}
    return {"To": to, **origin, "Body": body}


def said(answer: bytes) -> dict[str, Any]:
    try:
        document = json.loads(answer)
    except ValueError:
        return {"message": answer.decode("utf-8", "replace").strip()[:200]}
    return document if isinstance(document, dict) else {}


def send(http: requests.Session, to: str, body: str) -> str:
    response, answer = post_form(http, messages_url(), form(to, body), "Twilio")
    return outcome(response.status_code, said(answer), retry_after(response))


def outcome(status: int, document: dict[str, Any], wait: float | None) -> str:
    """The message SID of a 2xx answer; any other answer raised as the error staff read."""
    if 200 <= status < 300:
        sid = document.get("sid")
        if isinstance(sid, str) and sid:
            return sid[:100]
        raise SendFailed(f"Twilio answered {status} without a message SID.", permanent=False)
    code = document.get("code")
    detail = f"{status}" + (f" error {code}" if code else "")
    if message := str(document.get("message") or "")[:200]:
        detail += f": {message}"
    if code == UNSUBSCRIBED:
        raise OptedOut(
            f"The number opted out (replied STOP); Twilio will not send to it ({detail})."
        )
    if status == 429:
        raise SendFailed(f"Twilio rate limit ({detail}).", permanent=False, retry_after=wait)
    if status >= 500:
        raise SendFailed(f"Twilio is failing ({detail}).", permanent=False)
    if status in (401, 403):
        raise SendFailed(
            f"Twilio does not accept TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN ({detail}).",
            permanent=True,
        )
    raise SendFailed(f"Twilio refused the message ({detail}).", permanent=True)


def signature(url: str, params: Mapping[str, list[str]], auth_token: str) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL and each parameter name and value, sorted."""
    # A repeated parameter: each of its distinct values once, sorted, as Twilio's libraries do.
    data = url + "".join(
        name + value for name in sorted(params) for value in sorted(set(params[name]))
    )
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def signed(urls: list[str], params: Mapping[str, list[str]], given: str) -> bool:
    """Whether the signature Twilio sent matches the request at any of the URLs it may have used."""
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not given:
        return False
    return any(hmac.compare_digest(signature(url, params, token), given) for url in urls)
