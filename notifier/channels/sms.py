"""SMS: incidents opened and resolved and maintenance started, to every subscribed number.

The provider is SMS_PROVIDER's (notifier/sms/: Twilio or 46elks). A message is short and
plain, in GSM-7 where the words allow, and at most MAX_SEGMENTS parts: "[Site] Status: title
- the update's first line (time and zone)", the link, and how to stop. A number that replied
STOP (Twilio refuses it with 21610, or our inbound webhook hears it) is forgotten. The daily
caps (notifier/sms/caps.py) hold a message back rather than send it over budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from notifier import sms
from notifier.channels.base import TransportError
from notifier.channels.contact import ContactPointChannel, forget
from notifier.models import Delivery, Notice, NoticeKind
from notifier.notice_text import notice_text
from notifier.sms.caps import Today, reference
from notifier.sms.segments import plain, segments

MAX_SEGMENTS = 3
# What Atlassian Statuspage texts: the start and the end of an incident, a window starting.
SMS_KINDS = {
    NoticeKind.INCIDENT_OPENED,
    NoticeKind.INCIDENT_RESOLVED,
    NoticeKind.MAINTENANCE_STARTED,
}


def stop_line() -> str:
    """How to stop, in the active language: a word notifier/sms_views.py takes as STOP."""
    # Translators: the end of every SMS: keep it short and in GSM-7 (no typographic quotes or
    # dashes). The keyword must be one notifier/sms_views.py knows (STOP, or STOPP in Norwegian).
    return _("Reply STOP to unsubscribe")


def first_line(body: str) -> str:
    return next((line.strip() for line in body.splitlines() if line.strip()), "")


def shortened(text: str, length: int) -> str:
    """At most `length` characters of `text` and "...", cut between words where one is near."""
    if len(text) <= length:
        return text
    cut = text[:length]
    space = cut.rfind(" ")
    if space > length * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-.") + "..." if cut.strip() else ""


def longest_fitting(make: Any, text: str) -> str:
    """The longest shortening of `text` with which `make(text)` stays within MAX_SEGMENTS."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if segments(make(shortened(text, middle))).count <= MAX_SEGMENTS:
            low = middle
        else:
            high = middle - 1
    return shortened(text, low)


def sms_text(notice: Notice) -> str:
    words = notice_text(notice)
    head = plain(f"[{settings.SITE_NAME}] {words.status}: {words.title}")
    update = plain(" ".join(first_line(words.body).split()))
    tail = plain(f"({words.when})\n{words.url}\n{stop_line()}")

    def make(update: str, head: str = head) -> str:
        return f"{head} - {update} {tail}" if update else f"{head} {tail}"

    if segments(make(update)).count <= MAX_SEGMENTS:
        return make(update)
    if segments(make("")).count > MAX_SEGMENTS:
        # A title of a page's length: the title is cut, and the update left out.
        return f"{longest_fitting(lambda cut: f'{cut} {tail}', head)} {tail}"
    return make(longest_fitting(make, update))


class SmsChannel(ContactPointChannel):
    name = "sms"
    label = "SMS subscribers"
    public_label = "SMS"
    subscribe_url_name = "subscribe_sms"

    def __init__(self) -> None:
        super().__init__()
        self._texts: dict[tuple[int, str | None], str] = {}
        self._today: Today | None = None

    def is_configured(self) -> bool:
        return not sms.missing_settings()

    def why_off(self) -> str:
        missing = sms.missing_settings()
        return f"Set {', '.join(missing)} in the environment." if missing else ""

    def fits(self, notice: Notice) -> bool:
        return notice.kind in SMS_KINDS

    def text(self, notice: Notice) -> str:
        key = (notice.pk, translation.get_language())
        if key not in self._texts:
            self._texts[key] = sms_text(notice)
        return self._texts[key]

    def preview(self, notice: Notice) -> str:
        text = self.text(notice)
        return f"{text}\n\n({segments(text)})"

    def prepare(self, deliveries: Sequence[Delivery]) -> None:
        super().prepare(deliveries)
        self._today = Today.counted(self.name, [d.target for d in deliveries])

    def session(self) -> AbstractContextManager[Any]:
        return sms.session()

    def send(self, delivery: Delivery, session: Any) -> str:
        point = self.contact_point(delivery)
        text = self.text(delivery.notice)
        parts = segments(text).count
        if self._today is None:
            self._today = Today.counted(self.name, [delivery.target])
        if why := self._today.hold_back(delivery.target, parts):
            raise TransportError(why, permanent=True)
        try:
            message_id = sms.send(session, point.address, text)
        except sms.OptedOut as error:
            forget(point, str(error))
            raise TransportError(f"{error} Its subscription is deleted.", permanent=True) from None
        except sms.SendFailed as error:
            raise TransportError(
                str(error), permanent=error.permanent, retry_after=error.retry_after
            ) from error
        self._today.count(delivery.target, parts)
        return reference(parts, message_id)
