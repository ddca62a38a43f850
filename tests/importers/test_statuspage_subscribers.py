"""Subscribers from Statuspage's CSV: asked to confirm again, kept only with proof of consent.

The example export holds, besides emails and a webhook, five SMS subscribers: two valid
Norwegian mobiles with a consent time (one written with its country code, one as dialled in
Norway), a US number with none, a Norwegian landline and a number too short to exist.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail

from importers.history_items import SourceError
from importers.imports import import_statuspage
from importers.subscriber_writer import LEFT_SINCE, NO_CONSENT_TIME, NOT_A_MOBILE, NOT_ASKED
from notifier.models import ContactPoint, Subscriber, Unsubscribed, WebhookEndpoint
from notifier.signed_links import address_key
from tests.importers.conftest import EXAMPLE

pytestmark = pytest.mark.django_db
CSV = EXAMPLE / "subscribers.csv"


def test_imported_addresses_are_asked_to_confirm_and_not_stored(
    django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        report = import_statuspage([EXAMPLE], subscribers_csv=CSV)
    assert not Subscriber.objects.exists()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "kari@example.no",
        "nils@example.no",
        "ola@example.no",
    ]
    assert report.counts[("subscriber", "asked to confirm")] == 3


def test_without_keep_consent_no_number_is_stored_and_each_skip_says_why(
    django_capture_on_commit_callbacks, eager_celery
):
    lines: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        report = import_statuspage([EXAMPLE], subscribers_csv=CSV, say=lines.append)
    assert not ContactPoint.objects.exists()
    assert report.skipped[NOT_ASKED] == 3
    assert report.skipped[NOT_A_MOBILE] == 2
    assert f"skipped: 3 {NOT_ASKED}" in report.summary()
    # Each skipped number is named with its line and, when it cannot take SMS, why.
    assert "skipped: subscribers.csv, line 4: +4791234567" in lines
    assert (
        "skipped: subscribers.csv, line 7: '22334455': "
        "That is not a mobile number: SMS can only reach mobile phones."
    ) in lines
    assert any(line.startswith("skipped: subscribers.csv, line 8: '12345': ") for line in lines)


def test_webhooks_are_kept(django_capture_on_commit_callbacks, eager_celery):
    with django_capture_on_commit_callbacks(execute=True):
        import_statuspage([EXAMPLE], subscribers_csv=CSV)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == "https://hooks.example.org/status"
    assert endpoint.owner == WebhookEndpoint.Owner.SUBSCRIBER
    assert endpoint.contact_email == "ops@example.org"
    assert [c.name for c in endpoint.components.all()] == ["Actions"]


def test_keep_consent_stores_those_with_a_consent_time(
    django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    ola = Subscriber.objects.get(email="ola@example.no")
    assert ola.confirmed_at == datetime(2021, 3, 4, 10, 15, tzinfo=UTC)
    assert sorted(c.name for c in ola.components.all()) == ["Git Operations", "Pages"]
    assert Subscriber.objects.exclude(email=None).count() == 2
    # nils has no consent time: asked like everyone else.
    assert [m.to[0] for m in mail.outbox] == ["nils@example.no"]


def test_keep_consent_makes_valid_numbers_sms_contacts_confirmed_then(
    django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        report = import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    points = {p.address: p for p in ContactPoint.objects.filter(channel="sms")}
    assert sorted(points) == ["+4791234567", "+4799876543"]
    first, second = points["+4791234567"], points["+4799876543"]
    assert first.confirmed_at == datetime(2022, 1, 5, 12, 0, tzinfo=UTC)
    assert second.confirmed_at == datetime(2022, 2, 5, 12, 0, tzinfo=UTC)
    # Each number is a reader of its own, with the components chosen at the source.
    assert first.subscriber.email is None and first.subscriber != second.subscriber
    assert [c.name for c in first.subscriber.components.all()] == ["Pages"]
    assert not second.subscriber.components.exists()  # none chosen: every component
    assert report.counts[("sms subscriber", "kept with their consent")] == 2
    assert report.skipped[NO_CONSENT_TIME] == 1  # the US number
    assert report.skipped[NOT_A_MOBILE] == 2
    assert NOT_ASKED not in report.skipped
    # Nothing was texted or mailed to the numbers: only nils, who has no consent time.
    assert [m.to[0] for m in mail.outbox] == ["nils@example.no"]


def test_keep_consent_keeps_nobody_who_unsubscribed_here_after_that_consent(
    django_capture_on_commit_callbacks, eager_celery
):
    # ola consented at the source on 4 March 2021 and left here since; the first number
    # (consent 5 Jan 2022) sent STOP before it; the second (5 Feb 2022) after it.
    for address, left in [
        ("OLA@example.no", datetime(2021, 3, 5, tzinfo=UTC)),
        ("+4791234567", datetime(2022, 1, 6, tzinfo=UTC)),
        ("+4799876543", datetime(2022, 2, 1, tzinfo=UTC)),
    ]:
        Unsubscribed.objects.create(key=address_key(address), at=left)
    lines: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        report = import_statuspage(
            [EXAMPLE], subscribers_csv=CSV, keep_consent=True, say=lines.append
        )
    assert not Subscriber.objects.filter(email__iexact="ola@example.no").exists()
    assert [p.address for p in ContactPoint.objects.filter(channel="sms")] == ["+4799876543"]
    assert report.skipped[LEFT_SINCE] == 2
    assert any(
        line.startswith("skipped: subscribers.csv, line ") and "+4791234567" in line
        for line in lines
    )
    assert not any(m.to[0] == "ola@example.no" for m in mail.outbox)


def test_a_second_import_adds_no_subscriber_twice(django_capture_on_commit_callbacks, eager_celery):
    import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    report = import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    assert Subscriber.objects.count() == 4 and WebhookEndpoint.objects.count() == 1
    assert ContactPoint.objects.count() == 2
    assert report.counts[("subscriber", "already here")] == 2
    assert report.counts[("sms subscriber", "already here")] == 2
    assert ("sms subscriber", "kept with their consent") not in report.counts


def test_a_number_already_subscribed_here_keeps_its_reader_and_choice(
    django_capture_on_commit_callbacks, eager_celery
):
    reader = Subscriber.objects.create(email="own@example.no")
    ContactPoint.objects.create(subscriber=reader, channel="sms", address="+4791234567")
    import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    point = ContactPoint.objects.get(address="+4791234567")
    assert point.subscriber == reader and not reader.components.exists()
    assert ContactPoint.objects.count() == 2


def test_an_import_without_keep_consent_after_one_with_it_finds_the_numbers_here(
    django_capture_on_commit_callbacks, eager_celery
):
    import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    report = import_statuspage([EXAMPLE], subscribers_csv=CSV)
    assert report.counts[("sms subscriber", "already here")] == 2
    assert report.skipped[NOT_ASKED] == 1  # only the US number, never kept
    assert ContactPoint.objects.count() == 2


def test_the_import_template_form_is_read_too(tmp_path: Path, eager_celery):
    template = tmp_path / "template.csv"
    template.write_text(
        "email,ola@example.no,no\nsms,91234567,NO\nwebhook,https://h.example/x,ops@example.org\n"
    )
    report = import_statuspage([EXAMPLE], subscribers_csv=template)
    assert report.counts[("subscriber", "asked to confirm")] == 1
    assert report.counts[("webhook", "created")] == 1
    assert report.skipped[NOT_ASKED] == 1


def test_the_import_template_gives_an_sms_number_its_country_and_components(tmp_path: Path):
    template = tmp_path / "template.csv"
    template.write_text("sms,070-123 45 67,SE,Pages\nsms,(650) 555-1234,US\n")
    # The template records no consent time: with --keep-consent too, nothing is assumed.
    report = import_statuspage([EXAMPLE], subscribers_csv=template, keep_consent=True)
    assert report.skipped[NO_CONSENT_TIME] == 2
    assert not ContactPoint.objects.exists()


def test_a_bad_address_is_refused_with_its_line(tmp_path: Path):
    bad = tmp_path / "subscribers.csv"
    bad.write_text("Type,Email,Created At\nemail,ola@example.no,\nemail,not an address,\n")
    with pytest.raises(SourceError, match=r"subscribers.csv, line 3: 'not an address' is not"):
        import_statuspage([EXAMPLE], subscribers_csv=bad)
    assert not WebhookEndpoint.objects.exists()


def test_a_dry_run_mails_nobody(django_capture_on_commit_callbacks, eager_celery):
    with django_capture_on_commit_callbacks(execute=True):
        report = import_statuspage([EXAMPLE], subscribers_csv=CSV, dry_run=True)
    assert report.counts[("subscriber", "asked to confirm")] == 3
    assert mail.outbox == []
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("http://hooks.example.org/status", "The address must start with https://."),
        ("https://169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
        ("https://10.1.2.3/in", "10.1.2.3 is a private address; give a public address."),
    ],
)
def test_a_subscriber_webhook_that_is_not_public_https_is_refused_with_its_line(
    tmp_path: Path, address: str, said: str
):
    bad = tmp_path / "subscribers.csv"
    bad.write_text(f"email,ola@example.no,no\nwebhook,{address},ops@example.org\n")
    with pytest.raises(SourceError, match=rf"subscribers.csv, line 2: {re.escape(said)}"):
        import_statuspage([EXAMPLE], subscribers_csv=bad)
    assert not WebhookEndpoint.objects.exists()
