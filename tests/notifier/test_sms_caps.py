"""The SMS cost guards: per number and site-wide per day, held back and shown as such."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import actions
from incidents.models import ComponentStatus, Incident
from notifier import dispatch
from notifier.manage import add_contact
from notifier.models import Delivery, DeliveryState, Notice
from notifier.sms.caps import start_of_day
from tests.console.conftest import editor, signed_in
from tests.factories import make_component, oslo
from tests.notifier.sms_provider import Provider, provider, twilio

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]
__all__ = ["editor", "provider", "signed_in", "twilio"]  # fixtures, used by name

NUMBERS = ["+4791234567", "+4791234568", "+4791234569"]


def open_outage(title: str = "Email services down") -> Incident:
    # Two segments: the text is 212 GSM-7 characters.
    return actions.open_incident(
        title=title,
        body="Our email services are inaccessible and we are working to find out where, " * 2,
        impact="critical",
        component_statuses={make_component(title): ComponentStatus.MAJOR_OUTAGE},
        posted_at=oslo(2013, 1, 25, 0, 15),
    )


def send_all(incident: Incident) -> list[Delivery]:
    deliveries = Delivery.objects.filter(notice__incident=incident, channel="sms").order_by("id")
    for delivery in deliveries:
        dispatch.run([delivery.pk])
    return list(deliveries.all())


def test_a_number_gets_at_most_its_daily_share(twilio: Provider, settings):
    settings.SMS_DAILY_PER_NUMBER = 2
    add_contact("sms", NUMBERS[0], component_ids=[])
    outcomes = [send_all(open_outage(f"Outage {n}"))[0] for n in range(3)]

    assert [d.state for d in outcomes] == ["sent", "sent", "failed"]
    assert outcomes[2].last_error == (
        "Held back: this number has had 2 SMS today (SMS_DAILY_PER_NUMBER); not sent."
    )
    assert outcomes[2].attempts == 1
    assert len(twilio.texts_to(NUMBERS[0])) == 2


def test_the_site_wide_budget_counts_segments(twilio: Provider, settings):
    settings.SMS_DAILY_BUDGET = 5
    for number in NUMBERS:
        add_contact("sms", number, component_ids=[])

    outcomes = send_all(open_outage())

    assert [d.reference.split(":")[0] for d in outcomes[:2]] == ["2", "2"]
    assert [d.state for d in outcomes] == ["sent", "sent", "failed"]
    assert outcomes[2].last_error == (
        "Held back: 4 of the 5 SMS segments of today's budget are used and this message "
        "needs 2 (SMS_DAILY_BUDGET); not sent."
    )
    assert [to for to, _ in twilio.delivered] == NUMBERS[:2]


def test_yesterdays_messages_do_not_count_today(twilio: Provider, settings):
    settings.SMS_DAILY_PER_NUMBER = 1
    add_contact("sms", NUMBERS[0], component_ids=[])
    (first,) = send_all(open_outage("First"))
    just_before_midnight = start_of_day() - timedelta(seconds=1)
    Delivery.objects.filter(pk=first.pk).update(sent_at=just_before_midnight)

    (second,) = send_all(open_outage("Second"))

    assert second.state == DeliveryState.SENT
    assert start_of_day().tzinfo is not None
    assert start_of_day(timezone.now()).utcoffset() in (timedelta(hours=1), timedelta(hours=2))


def test_held_back_messages_are_shown_apart_from_failures(
    twilio: Provider, settings, signed_in, editor
):
    settings.SMS_DAILY_BUDGET = 2
    for number in NUMBERS[:2]:
        add_contact("sms", number, component_ids=[])
    incident = open_outage()
    send_all(incident)
    notice = Notice.objects.get(incident=incident)
    client = signed_in(editor)

    page = client.get(reverse("console:notice", args=[notice.pk])).content.decode()

    assert '<strong class="tally held-back">1 held back by the daily caps</strong>' in page
    assert "1 failed" not in page
    assert "<h3>Held back</h3>" in page
    assert "<h3>Failures</h3>" not in page
    assert "<td>1</td><td>0</td><td>1</td></tr>" in page  # sent, failed, held back
    listing = client.get(reverse("console:notices")).content.decode()
    assert "1 held back by the daily caps" in listing
