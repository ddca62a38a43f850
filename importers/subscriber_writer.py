"""Bringing subscribers in: asked to confirm again unless the source proves their consent.

A `Subscriber` here is a confirmed address (nothing is stored before confirmation), so an
imported address gets the ordinary confirmation mail, queued after the import commits, and
becomes a subscriber when it follows the link. With `keep_consent` and a consent time in the
source, the address is stored confirmed at that time and gets no mail. Webhooks become
subscriber-owned endpoints (a new secret: the old one stays with the old page).

An SMS number becomes the reader's SMS contact point, in E.164. A number cannot be asked to
confirm again the way an address can: our SMS opt-in is a code the reader types into the page
they asked it from, and texting a stranger's phone unasked is what consent is there to prevent.
So a number comes in only with `keep_consent` and a consent time, stored confirmed then;
otherwise it is counted as skipped, with the reason. So are numbers that cannot take SMS, and
chat subscriptions (no chat channel can reach a Statuspage subscriber's team). An address or
number that unsubscribed here after the consent time the source gives is not kept either: the
source's consent is older than their leaving. Nothing is dropped unsaid.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from importers.history_items import SourceError
from importers.history_writer import ImportReport
from importers.models import SourceKey, TargetKind
from incidents.models import Component
from notifier.manage import add_contact
from notifier.models import (
    ContactPoint,
    Subscriber,
    Unsubscribed,
    WebhookEndpoint,
    validate_webhook_url,
)
from notifier.outbound import validate_subscriber_url
from notifier.signed_links import SubscribeRequest
from notifier.sms.numbers import BadNumber, e164
from notifier.tasks import request_confirmation


@dataclass(frozen=True)
class SubscriberItem:
    where: str
    kind: str  # email, webhook, sms, slack, teams
    address: str
    contact_email: str = ""
    country: str = ""  # an SMS number's country (ISO 3166, e.g. "NO"), as Statuspage gives it
    consented_at: datetime | None = None
    component_names: list[str] = field(default_factory=list)


class SubscriberWriter:
    def __init__(self, source: str, report: ImportReport, *, keep_consent: bool = False):
        self.source = source
        self.report = report
        self.keep_consent = keep_consent
        self.components = {c.name.casefold(): c for c in Component.objects.all()}

    def write(self, items: Iterable[SubscriberItem]) -> None:
        for item in items:
            if item.kind == "email":
                self._email(item)
            elif item.kind == "webhook":
                self._webhook(item)
            elif item.kind == "sms":
                self._sms(item)
            elif item.kind == "unverified":
                self.report.skip("subscribers who never confirmed their address at the source")
            else:
                self.report.skip(f"{item.kind} subscribers (no {item.kind} channel here yet)")

    def _chosen(self, item: SubscriberItem) -> list[Component]:
        chosen = []
        for name in item.component_names:
            component = self.components.get(" ".join(name.split()).casefold())
            if component is None:
                self.report.skip("subscriptions to a component that is not here")
            else:
                chosen.append(component)
        return chosen

    def _email(self, item: SubscriberItem) -> None:
        email = item.address.strip()
        try:
            validate_email(email)
        except ValidationError:
            raise SourceError(item.where, f"{email!r} is not an email address") from None
        if Subscriber.objects.filter(email__iexact=email).exists():
            self.report.note("subscriber", "already here", email)
            return
        chosen = self._chosen(item)
        if self.keep_consent and item.consented_at is not None:
            if Unsubscribed.left_since(email, item.consented_at):
                self.report.skip(LEFT_SINCE, f"{item.where}: {email}")
                return
            subscriber = Subscriber.objects.create(email=email, confirmed_at=item.consented_at)
            subscriber.components.set(chosen)
            SourceKey.objects.create(
                source=self.source,
                kind=TargetKind.SUBSCRIBER,
                source_id=email.casefold(),
                imported_at=timezone.now(),
                subscriber=subscriber,
            )
            self.report.note("subscriber", "kept with their consent", email)
            return
        wish = SubscribeRequest(email, tuple(c.pk for c in chosen), issued_at=time.time())
        transaction.on_commit(lambda: request_confirmation(wish))
        self.report.note("subscriber", "asked to confirm", email)

    def _webhook(self, item: SubscriberItem) -> None:
        url = item.address.strip()
        try:
            validate_webhook_url(url)
            validate_subscriber_url(url)  # the endpoint will be the subscriber's
            if item.contact_email:
                validate_email(item.contact_email)
        except ValidationError as error:
            raise SourceError(item.where, " ".join(error.messages)) from None
        owned = WebhookEndpoint.objects.filter(owner=WebhookEndpoint.Owner.SUBSCRIBER, url=url)
        if owned.exists():
            self.report.note("webhook", "already here", url)
            return
        endpoint = WebhookEndpoint.objects.create(
            url=url, owner=WebhookEndpoint.Owner.SUBSCRIBER, contact_email=item.contact_email
        )
        endpoint.components.set(self._chosen(item))
        self.report.note("webhook", "created", url)

    def _sms(self, item: SubscriberItem) -> None:
        try:
            number = statuspage_number(item.address, item.country)
        except BadNumber as error:
            self.report.skip(NOT_A_MOBILE, f"{item.where}: {item.address!r}: {error}")
            return
        if ContactPoint.objects.filter(channel="sms", address=number).exists():
            self.report.note("sms subscriber", "already here", number)
            return
        if not self.keep_consent:
            self.report.skip(NOT_ASKED, f"{item.where}: {number}")
            return
        if item.consented_at is None:
            self.report.skip(NO_CONSENT_TIME, f"{item.where}: {number}")
            return
        if Unsubscribed.left_since(number, item.consented_at):
            self.report.skip(LEFT_SINCE, f"{item.where}: {number}")
            return
        chosen = [c.pk for c in self._chosen(item)]
        point = add_contact("sms", number, component_ids=chosen, confirmed_at=item.consented_at)
        SourceKey.objects.update_or_create(
            source=self.source,
            kind=TargetKind.SUBSCRIBER,
            source_id=f"sms:{number}",
            defaults={"imported_at": timezone.now(), "subscriber": point.subscriber},
        )
        self.report.note("sms subscriber", "kept with their consent", number)


NOT_A_MOBILE = "sms subscribers whose number is not a mobile number we can text"
NOT_ASKED = (
    "sms subscribers, as a number cannot be asked to confirm again "
    "(with --keep-consent, those with a consent time are kept)"
)
NO_CONSENT_TIME = "sms subscribers with no consent time in the source"
# Unsubscribing is remembered (as a keyed hash) as long as a confirmation link lives, so this
# catches an export taken before someone left and imported soon after.
LEFT_SINCE = "subscribers who unsubscribed here after the consent the source records"


def statuspage_number(number: str, country: str) -> str:
    """A Statuspage subscriber's number in E.164 (notifier.sms.numbers.e164's rules).

    Statuspage keeps `phone_number` as dialled from `phone_country`; some exports write it with
    the country's calling code in front and no "+" (4791234567 for NO). The first reading
    wins; the second is tried only when the first is no mobile number and the digits start
    with that country's code.
    """
    region = country.strip().upper() or None
    try:
        return e164(number, region)
    except BadNumber:
        digits = "".join(c for c in number if c.isdigit())
        code = phonenumbers.country_code_for_region(region) if region else 0  # 0: unknown
        written_whole = number.strip().startswith(("+", "00"))
        if not code or written_whole or not digits.startswith(str(code)):
            raise
        return e164(f"+{digits}", region)
