"""46elks: POST /a1/sms with from, to and message, basic auth with the API username and password.

A sent message answers 200 with JSON (its "id"); an error answers 4xx with a line of text
("Invalid to number"). 429 and 5xx are worth another try; other 4xx are not.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.conf import settings

from notifier.sms import SendFailed, post_form, retry_after

if TYPE_CHECKING:
    import requests


def settings_needed() -> dict[str, str]:
    return {
        "ELKS_API_USERNAME": settings.ELKS_API_USERNAME,
        "ELKS_API_PASSWORD": settings.ELKS_API_PASSWORD,
        "ELKS_FROM": settings.ELKS_FROM,
        # 46elks signs nothing: STOP replies are taken only at a URL with this secret in it.
        "SMS_INBOUND_SECRET": settings.SMS_INBOUND_SECRET,
    }


def credentials() -> tuple[str, str]:
    return settings.ELKS_API_USERNAME, settings.ELKS_API_PASSWORD


def send(http: requests.Session, to: str, body: str) -> str:
    fields = {"from": settings.ELKS_FROM, "to": to, "message": body}
    response, answer = post_form(http, f"{settings.ELKS_API_URL}/a1/sms", fields, "46elks")
    return outcome(response.status_code, answer, retry_after(response))


def outcome(status: int, answer: bytes, wait: float | None) -> str:
    """The message id of a 2xx answer; any other answer raised as the error staff read."""
    text = answer.decode("utf-8", "replace").strip()
    if 200 <= status < 300:
        try:
            message_id = json.loads(text).get("id")
        except (ValueError, AttributeError):
            message_id = None
        if isinstance(message_id, str) and message_id:
            return message_id[:100]
        raise SendFailed(f"46elks answered {status} without a message id.", permanent=False)
    detail = f"{status}" + (f": {text[:200]}" if text else "")
    if status == 429:
        raise SendFailed(f"46elks rate limit ({detail}).", permanent=False, retry_after=wait)
    if status >= 500:
        raise SendFailed(f"46elks is failing ({detail}).", permanent=False)
    if status == 401:
        raise SendFailed(
            f"46elks does not accept ELKS_API_USERNAME and ELKS_API_PASSWORD ({detail}).",
            permanent=True,
        )
    raise SendFailed(f"46elks refused the message ({detail}).", permanent=True)
