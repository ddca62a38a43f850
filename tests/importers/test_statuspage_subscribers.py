"""Subscribers from Statuspage's CSV: asked to confirm again, kept only with proof of consent."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail

from importers.history_items import SourceError
from importers.imports import import_statuspage
from notifier.models import Subscriber, WebhookEndpoint
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


def test_sms_subscribers_are_counted_as_skipped_and_webhooks_kept(
    django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        report = import_statuspage([EXAMPLE], subscribers_csv=CSV)
    assert report.skipped["sms subscribers (no sms channel here yet)"] == 2
    assert "skipped: 2 sms subscribers (no sms channel here yet)" in report.summary()
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
    assert Subscriber.objects.count() == 2
    # nils has no consent time: asked like everyone else.
    assert [m.to[0] for m in mail.outbox] == ["nils@example.no"]


def test_a_second_import_adds_no_subscriber_twice(django_capture_on_commit_callbacks, eager_celery):
    import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    report = import_statuspage([EXAMPLE], subscribers_csv=CSV, keep_consent=True)
    assert Subscriber.objects.count() == 2 and WebhookEndpoint.objects.count() == 1
    assert report.counts[("subscriber", "already here")] == 2


def test_the_import_template_form_is_read_too(tmp_path: Path, eager_celery):
    template = tmp_path / "template.csv"
    template.write_text(
        "email,ola@example.no,no\nsms,91234567,NO\nwebhook,https://h.example/x,ops@example.org\n"
    )
    report = import_statuspage([EXAMPLE], subscribers_csv=template)
    assert report.counts[("subscriber", "asked to confirm")] == 1
    assert report.counts[("webhook", "created")] == 1
    assert report.skipped["sms subscribers (no sms channel here yet)"] == 1


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
