"""What X and Mastodon share: an account, short texts, and a thread per incident or maintenance.

Each network's account posts in the site's default language. A second account of it,
`in_language("nb")`, posts every notice in another language the site has: its settings carry
the language after the network's name (MASTODON_NB_ACCESS_TOKEN), and its deliveries a
channel name of their own ("mastodon_nb"), so its threads are its own.

The first notice about an incident or maintenance starts a thread; each later
one replies to the newest post of that thread already sent on the same
channel (its Delivery.reference). While an earlier notice of the thread is
still on its way, a later one waits (a transient error), so the thread keeps
the order in which staff published.

The client libraries (tweepy, Mastodon.py, requests) are imported where they
are used: the web process loads the channels on every publish, and importing
them costs it about half a second the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Self, cast

from django.conf import settings
from django.utils import timezone, translation

from notifier.channels.base import Channel, TransportError
from notifier.models import Delivery, DeliveryState, Notice
from notifier.notice_text import short_post

if TYPE_CHECKING:
    import requests
    from django.db.models import QuerySet

UNSENT_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.RETRYING)
# Seconds to wait for an earlier post of the thread, after its own next try is due.
THREAD_WAIT_SECONDS = 5.0


def timeout_session(timeout: float) -> requests.Session:
    """A requests session whose calls time out unless told otherwise (tweepy tells it nothing)."""
    import requests

    session = requests.Session()
    # The stubs forbid rebinding a method on an instance; requests calls it as it is.
    session.request = partial(session.request, timeout=timeout)  # type: ignore[method-assign]
    return session


def reply_target(delivery: Delivery) -> str | None:
    """The post this delivery replies to: the newest one sent earlier in its thread, or None.

    Raises a transient TransportError while an earlier post of the thread is unsent.
    """
    earlier = Delivery.objects.filter(
        delivery.notice.same_thread("notice__"),
        channel=delivery.channel,
        notice_id__lt=delivery.notice_id,
    )
    wait_for_unsent(earlier)
    # An earlier post that failed for good is skipped: reply to the one before it.
    previous = earlier.filter(state=DeliveryState.SENT).exclude(reference="")
    return previous.order_by("-notice_id").values_list("reference", flat=True).first()


def wait_for_unsent(earlier: QuerySet[Delivery]) -> None:
    """Raise a transient TransportError while any of these earlier deliveries is unsent."""
    unsent = list(earlier.filter(state__in=UNSENT_STATES).values_list("next_attempt_at", flat=True))
    if unsent:
        # Wake up after the earlier post's own next try, not before.
        now = timezone.now()
        due = max(((at - now).total_seconds() for at in unsent if at), default=0.0)
        raise TransportError(
            "Waiting for the previous post in the thread.",
            permanent=False,
            retry_after=max(due, 0.0) + THREAD_WAIT_SECONDS,
        )


def fitted_post(
    notice: Notice, *, limit: int, link_length: int, measure: Callable[[str], int]
) -> str:
    """short_post, shortened further until `measure` (the network's own count) says it fits.

    A character weighs at most 2, so cutting half the excess in characters never cuts
    too much; a few rounds at most, and only for wide scripts and emoji.
    """
    budget = limit
    while True:
        text = short_post(notice, limit=budget, link_length=link_length)
        over = measure(text) - limit
        step = (over + 1) // 2
        if over <= 0 or budget - step <= link_length + 3:
            return text
        budget -= step


class SocialChannel(Channel):
    """One account that posts a short text per notice, threaded per incident or maintenance."""

    limit: int
    link_length = 23
    # The account's settings: the network's prefix and what follows it (X_ACCESS_TOKEN).
    network: ClassVar[str]
    account_settings: ClassVar[tuple[str, ...]]
    # A second account's language; "": the network's default account, in the site's.
    language: ClassVar[str] = ""

    @classmethod
    def in_language(cls, language: str) -> type[Self]:
        """The network's second account, posting every notice in `language`."""
        name = translation.get_language_info(language)["name"]  # the console's English name
        account = type(
            f"{cls.__name__}{language.title()}",
            (cls,),
            {
                "__module__": cls.__module__,
                "language": language,
                "name": f"{cls.name}_{language}",
                "label": f"{cls.label} in {name}",
            },
        )
        return cast("type[Self]", account)

    @classmethod
    def on_this_site(cls) -> bool:
        others = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        return not cls.language or cls.language in others

    def setting_name(self, part: str) -> str:
        """'ACCESS_TOKEN' -> 'X_ACCESS_TOKEN', or 'X_NB_ACCESS_TOKEN' for the Norwegian account."""
        prefix = f"{self.network}_{self.language.upper()}" if self.language else self.network
        return f"{prefix}_{part}"

    def setting(self, part: str) -> str:
        return str(getattr(settings, self.setting_name(part)))

    def settings_needed(self) -> dict[str, str]:
        """Setting names and their values; the channel is off while any is empty."""
        return {self.setting_name(part): self.setting(part) for part in self.account_settings}

    def is_configured(self) -> bool:
        return all(self.settings_needed().values())

    def why_off(self) -> str:
        missing = [name for name, value in self.settings_needed().items() if not value]
        return f"Set {', '.join(missing)} in the environment." if missing else ""

    def language_of(self, delivery: Delivery) -> str | None:
        return self.language or None

    def measure(self, text: str) -> int:
        raise NotImplementedError

    def text(self, notice: Notice) -> str:
        return fitted_post(
            notice, limit=self.limit, link_length=self.link_length, measure=self.measure
        )

    def preview(self, notice: Notice) -> str:
        """The text in the account's language."""
        with translation.override(self.language or settings.LANGUAGE_CODE):
            return self.text(notice)
