"""One round trip a mail, and sent mails noted in a journal before the ledger hears of them.

Each mail's content goes out in one write with the next mail's envelope (RFC 2920 lets
content open a group); the server here is aiosmtpd on loopback offering PIPELINING. Each
accepted mail is a line in the batch's journal file at once and a ledger row every
FLUSH_EVERY mails; `journal.recover()` writes the files of batches that died.
"""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import signing

import actions
from incidents.models import Component, ComponentStatus
from notifier import dispatch, journal
from notifier.channels.email import EmailChannel
from notifier.channels.smtp_pipelining import quoted
from notifier.models import Delivery, DeliveryState, Expansion, Subscriber
from notifier.signed_links import (
    MANAGE_SALT,
    UNSUBSCRIBE_SALT,
    WEBHOOK_UNSUBSCRIBE_SALT,
    ManageSigner,
    WebhookUnsubscribeSigner,
    _address_hash,
    _key_hash,
    _secret_hash,
    manage_token,
    read_manage_token,
    read_webhook_unsubscribe_token,
    unsubscribe_token,
    webhook_unsubscribe_token,
)
from tests.factories import make_component

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


@pytest.fixture(autouse=True)
def own_journal_directory(settings, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return journal.directory()


def publish(*addresses: str) -> list[int]:
    for address in addresses:
        Subscriber.objects.create(email=address)
    actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible; we're on it.",
        impact="critical",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
    )
    [mailing] = Expansion.objects.select_related("notice").filter(channel="email")
    EmailChannel().expand_page(mailing.notice, after=0, limit=100)
    return list(Delivery.objects.order_by("id").values_list("id", flat=True))


def states() -> dict[str, str]:
    emails = dict(Subscriber.objects.values_list("id", "email"))
    return {emails[int(d.target)]: d.state for d in Delivery.objects.all()}


def test_each_mail_s_content_goes_out_with_the_next_mail_s_envelope(inbox, writes):
    ids = publish("one@example.com", "two@example.com", "three@example.com")

    assert dispatch.run(ids).sent == 3

    assert [m["To"] for m in inbox.messages] == [
        "one@example.com",
        "two@example.com",
        "three@example.com",
    ]
    mail_writes = [w for w in writes if b"MAIL FROM" in w or w.endswith(b"\r\n.\r\n")]
    assert mail_writes[0].startswith(b"MAIL FROM:")  # the first envelope alone
    assert b"\r\n.\r\nMAIL FROM:" in mail_writes[1]
    assert mail_writes[1].endswith(b"RCPT TO:<two@example.com>\r\nDATA\r\n")
    assert b"\r\n.\r\nMAIL FROM:" in mail_writes[2]
    assert mail_writes[3].endswith(b"\r\n.\r\n")  # the last content: nothing follows
    assert set(states().values()) == {DeliveryState.SENT}
    assert not list(journal.directory().iterdir())  # written to the ledger, then removed


def test_a_refused_address_between_others_fails_alone(inbox):
    inbox.refuse.add("gone@example.com")
    ids = publish("one@example.com", "gone@example.com", "three@example.com")

    result = dispatch.run(ids)

    assert (result.sent, result.failed) == (2, 1)
    assert [m["To"] for m in inbox.messages] == ["one@example.com", "three@example.com"]
    assert states()["gone@example.com"] == DeliveryState.FAILED


def test_a_content_refused_for_good_still_sends_the_mail_announced_after_it(inbox):
    inbox.content_answers["one@example.com"] = "554 5.7.1 Message refused"
    ids = publish("one@example.com", "two@example.com")

    result = dispatch.run(ids)

    assert (result.sent, result.failed) == (1, 1)
    assert [m["To"] for m in inbox.messages] == ["two@example.com"]


def test_a_deferred_mail_ends_the_batch_and_drops_the_announced_mail_without_a_word(inbox, writes):
    inbox.content_answers["one@example.com"] = "451 4.3.0 Try again later"
    ids = publish("one@example.com", "two@example.com", "three@example.com")

    result = dispatch.run(ids)

    assert result.retry_in is not None and result.sent == 0
    # two@'s envelope went out with one@'s content: the connection was dropped rather than
    # sending QUIT, which the server would have taken as a line of two@'s message.
    assert inbox.wait_for_command("RCPT two@example.com")
    assert not any(w.startswith(b"QUIT") for w in writes)
    assert inbox.messages == []
    assert states() == {
        "one@example.com": DeliveryState.RETRYING,
        "two@example.com": DeliveryState.PENDING,
        "three@example.com": DeliveryState.PENDING,
    }

    del inbox.content_answers["one@example.com"]
    Delivery.objects.update(next_attempt_at=None)
    assert dispatch.run(ids).sent == 3
    assert sorted(m["To"] for m in inbox.messages) == [
        "one@example.com",
        "three@example.com",
        "two@example.com",
    ]


def test_a_journal_nobody_holds_is_written_to_the_ledger_and_removed(own_journal_directory):
    ids = publish("one@example.com", "two@example.com", "three@example.com")
    Delivery.objects.update(state=DeliveryState.SENDING, claimed_by="dead")
    at = datetime(2013, 1, 25, 0, 15, 30, 123456, tzinfo=UTC)
    dead = own_journal_directory / "dead.log"
    dead.write_text(f"{ids[0]}\t{at.isoformat()}\t<m1@status>\n{ids[1]}\t{at.isoformat()}\t<m1")

    assert journal.recover() == 2

    first, second, third = Delivery.objects.order_by("id")
    assert (first.state, first.reference, first.sent_at) == (DeliveryState.SENT, "<m1@status>", at)
    assert second.state == DeliveryState.SENT
    assert third.state == DeliveryState.SENDING
    assert not dead.exists()


def test_a_journal_its_batch_still_holds_is_left_alone(own_journal_directory):
    ids = publish("one@example.com")
    Delivery.objects.update(state=DeliveryState.SENDING)
    with journal.Journal("live") as live:
        live.sent(Delivery.objects.get(pk=ids[0]), "<m@status>")  # not flushed yet
        assert journal.recover() == 0
        assert Delivery.objects.get().state == DeliveryState.SENDING
    assert Delivery.objects.get().state == DeliveryState.SENT  # flushed when the batch ends
    assert not (own_journal_directory / "live.log").exists()


def test_a_batch_writes_what_killed_batches_sent_before_it_claims(own_journal_directory, inbox):
    ids = publish("one@example.com", "two@example.com")
    # A sweeper elsewhere handed the dead batch's claim back before its journal was read.
    at = datetime.now(UTC).isoformat()
    (own_journal_directory / "dead.log").write_text(f"{ids[0]}\t{at}\t<m@status>\n")

    assert dispatch.run(ids).sent == 1

    assert [m["To"] for m in inbox.messages] == ["two@example.com"]
    assert set(states().values()) == {DeliveryState.SENT}


@pytest.mark.parametrize(
    "address",
    [
        "reader@example.com",
        "first.last+status_alerts-2013@mail.sub.example.org",
        "o'brien@example.ie",
        "Runbox Status <status@runbox.com>",
        '"Doe, Jane" <jane@example.com>',
        "",
    ],
)
def test_addresses_are_quoted_as_smtplib_quotes_them(address):
    assert quoted(address) == smtplib.quoteaddr(address)


def test_unsubscribe_tokens_are_the_ones_django_s_signer_makes():
    for subscriber_id, address in [(1, "a@example.com"), (123456, "Ünï@example.org")]:
        expected = signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
            {"i": subscriber_id, "h": _address_hash(address)}
        )
        assert unsubscribe_token(subscriber_id, address) == expected


def test_manage_tokens_signed_for_a_batch_are_the_ones_django_s_signer_makes():
    signer = ManageSigner()
    for subscriber_id, key in [(1, "k" * 20), (987654, "another-key")]:
        token = manage_token(subscriber_id, key, signer)
        assert token == signing.Signer(salt=MANAGE_SALT).sign(f"{subscriber_id}-{_key_hash(key)}")
        assert token == manage_token(subscriber_id, key)
        assert read_manage_token(token) == (subscriber_id, _key_hash(key))


def test_webhook_unsubscribe_tokens_signed_for_a_batch_are_the_ones_django_s_signer_makes():
    signer = WebhookUnsubscribeSigner()
    for endpoint_id, secret in [(1, "s" * 43), (424242, "another secret")]:
        token = webhook_unsubscribe_token(endpoint_id, secret, signer)
        expected = signing.Signer(salt=WEBHOOK_UNSUBSCRIBE_SALT).sign_object(
            {"i": endpoint_id, "h": _secret_hash(secret)}
        )
        assert token == expected == webhook_unsubscribe_token(endpoint_id, secret)
        assert read_webhook_unsubscribe_token(token) == (endpoint_id, _secret_hash(secret))


def test_any_of_selects_what_in_selects_on_every_database():
    components = [make_component(f"Service {n}") for n in range(4)]
    wanted = [components[0].pk, components[2].pk, 10**12]
    assert set(Component.objects.filter(pk__any_of=wanted)) == {components[0], components[2]}
    assert list(Component.objects.filter(pk__any_of=[])) == []
    assert Component.objects.filter(pk__any_of=wanted).count() == 2
    # Ids given as text are prepared as IN prepares them; text fields go as a list.
    as_text = [str(components[1].pk), str(components[3].pk)]
    assert set(Component.objects.filter(pk__any_of=as_text)) == {components[1], components[3]}
    names = ["Service 1", "Service 3", 'it\'s, {odd} \\ "quoted"']
    assert set(Component.objects.filter(name__any_of=names)) == {components[1], components[3]}
    chosen = Component.objects.filter(name__any_of=names).values("pk")
    assert set(Component.objects.filter(pk__any_of=chosen)) == {components[1], components[3]}


def test_the_ledger_keeps_what_the_far_end_said_whatever_its_characters():
    ids = publish("one@example.com", "two@example.com", "three@example.com")
    Delivery.objects.update(state=DeliveryState.SENDING)
    said = ['200 {"id": "a,b"}', "202 it's \\ fine", "x" * 250]
    at = [datetime(2013, 1, 25, 0, 15, n, 123456, tzinfo=UTC) for n in range(3)]
    journal.write_to_ledger(list(zip(ids, said, at, strict=True)))

    rows = Delivery.objects.order_by("id")
    assert [(d.state, d.reference, d.sent_at) for d in rows] == [
        (DeliveryState.SENT, said[0], at[0]),
        (DeliveryState.SENT, said[1], at[1]),
        (DeliveryState.SENT, "x" * 200, at[2]),
    ]
