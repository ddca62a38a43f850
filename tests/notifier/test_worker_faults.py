"""Fan-out with real parts, and the faults it must survive.

A real Celery worker process (prefork, 2 processes, embedded beat running the sweeper every
second) takes tasks from a real Redis server and sends mail to a real SMTP server (aiosmtpd, in
this process, keeping every message). This process and the worker share one database: a
throwaway PostgreSQL server started for this module. PostgreSQL rather than an SQLite file
because four processes write at once (this one, two pool processes and beat), which SQLite
serialises with a lock that times out under a 2,000-row fan-out, and because production runs
PostgreSQL. The timeouts of the ledger are shortened so the sweeper acts within seconds.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.models import Count, QuerySet
from django.db.utils import load_backend
from django.utils import timezone

import actions
from incidents.models import Component, ComponentStatus, Incident
from notifier import dispatch, expansion, journal, tasks
from notifier.models import Delivery, DeliveryState, Expansion, Notice, Subscriber
from notifier.signed_links import SubscribeRequest, read_unsubscribe_token
from tests.servers.postgres import PostgresServer
from tests.servers.redis import RedisServer
from tests.servers.smtp import SmtpServer
from tests.servers.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)

SITE_URL = "https://status.runbox.com"
# 00:15 in Oslo on a winter night: the mails must say CET.
POSTED_AT = datetime(2013, 1, 24, 23, 15, tzinfo=UTC)
SUBJECT = "[Runbox Status] Email services down because of DDoS"
# How long a test waits after the last mail for a late duplicate: more than the sweeper's
# stale and sending timeouts (2 s) plus its period (1 s).
SETTLE_SECONDS = 4


# --- the shared database ----------------------------------------------------------------------


@contextlib.contextmanager
def default_database(settings_dict: dict[str, object]) -> Iterator[None]:
    """Point this thread's default connection at another server, and back afterwards.

    The previous connection object is kept, not closed: closing an in-memory SQLite test
    database would destroy it for the tests that run after this module.
    """
    previous = connections["default"]
    configured = connections.configure_settings({"default": dict(settings_dict)})["default"]
    wrapper = load_backend(configured["ENGINE"]).DatabaseWrapper(configured, "default")
    connections["default"] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        connections["default"] = previous


@pytest.fixture(scope="module")
def database_url(django_db_setup: None, django_db_blocker) -> Iterator[str]:
    with (
        PostgresServer() as server,
        django_db_blocker.unblock(),
        default_database(server.settings_dict()),
    ):
        call_command("migrate", verbosity=0, interactive=False)
        yield server.url


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def broker(redis: RedisServer) -> Iterator[None]:
    """This process's Celery app publishes to the Redis server, then to its own broker again.

    Its connection and producer pools are put aside, not closed: kombu shares them through
    a global registry, and the tests after these still use them.
    """
    from statuspage.celery import app

    saved = app.conf.broker_url, app._pool, app.amqp._producer_pool
    app.conf.broker_url, app._pool, app.amqp._producer_pool = redis.url, None, None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


@pytest.fixture
def worker(
    database_url: str, redis: RedisServer, smtp: SmtpServer, tmp_path: Path
) -> Iterator[Worker]:
    """A worker not yet started, configured for this test's servers; killed at the end."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "EMAIL_", "DELIVERY_", "SWEEP_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis.url,
        EMAIL_URL=smtp.url,
        EMAIL_TIMEOUT="5",
        SITE_URL=SITE_URL,
        DEFAULT_FROM_EMAIL="Runbox Status <status@runbox.com>",
        SITE_TIME_ZONE="Europe/Oslo",
        DELIVERY_STALE_SECONDS="2",
        DELIVERY_SENDING_TIMEOUT_SECONDS="2",
        DELIVERY_RETRY_BASE_SECONDS="1",
        DELIVERY_RETRY_MAX_SECONDS="2",
        SWEEP_SECONDS="1",
        MAINTENANCE_TICK_SECONDS="3600",
    )
    started = Worker(env, tmp_path / "worker")
    try:
        yield started
    finally:
        started.kill()


# --- helpers ----------------------------------------------------------------------------------


def subscribe(count: int) -> list[str]:
    addresses = [f"reader{n:05d}@example.com" for n in range(count)]
    Subscriber.objects.bulk_create(Subscriber(email=address) for address in addresses)
    return addresses


def publish_ddos(**kwargs: object) -> Incident:
    imap = Component.objects.create(name="IMAP")
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="Our email services are inaccessible and we're working to find out where.",
        impact="critical",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        posted_at=POSTED_AT,
        **kwargs,
    )


def mail_deliveries(incident: Incident) -> QuerySet[Delivery]:
    return Delivery.objects.filter(notice__incident=incident, channel="email")


def states(incident: Incident) -> dict[str, int]:
    """How many of the incident's mail deliveries are in each state."""
    rows = mail_deliveries(incident).values_list("state")
    return dict(rows.annotate(n=Count("id")).order_by())


def wait_until(
    condition: Callable[[], object], timeout: float, what: str, worker: Worker | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if worker is not None and worker.process is not None and not worker.running:
            pytest.fail(f"the worker died while waiting for {what}:\n{worker.log_text()[-3000:]}")
        if time.monotonic() > deadline:
            log = worker.log_text()[-3000:] if worker is not None else ""
            pytest.fail(f"waited {timeout:.0f} s for {what}\n{log}")
        time.sleep(0.05)


def wait_for_everyone(
    smtp: SmtpServer, incident: Incident, addresses: list[str], worker: Worker, timeout: float
) -> None:
    """Until each address has a mail and every delivery is sent; then a while for duplicates."""
    wanted = set(addresses)
    wait_until(
        lambda: wanted <= set(smtp.count_by_recipient()),
        timeout,
        f"a mail to each of {len(addresses)} subscribers",
        worker,
    )
    wait_until(
        lambda: states(incident) == {DeliveryState.SENT: len(addresses)},
        10,
        "every delivery to be recorded as sent",
        worker,
    )
    time.sleep(SETTLE_SECONDS)


def duplicates(smtp: SmtpServer) -> dict[str, int]:
    return {address: n for address, n in smtp.count_by_recipient().items() if n != 1}


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


# --- the tests --------------------------------------------------------------------------------


def test_a_publish_reaches_every_subscriber_once_through_a_real_worker(
    worker: Worker, smtp: SmtpServer, broker: None
) -> None:
    worker.start()
    addresses = subscribe(50)
    subscribers = dict(Subscriber.objects.values_list("email", "id"))

    incident = publish_ddos()
    wait_for_everyone(smtp, incident, addresses, worker, timeout=30)

    assert duplicates(smtp) == {}
    assert sorted(smtp.count_by_recipient()) == addresses
    message_id = f"<incident-{incident.pk}@runbox.com>"  # DEFAULT_FROM_EMAIL's domain
    for received in smtp.messages:
        # Mail clients find the one-click link only in a plain header, never an encoded word.
        assert b"=?" not in received.content.split(b"\r\n\r\n", 1)[0]
    for address in addresses:
        [mail] = smtp.to(address)
        assert mail["To"] == address
        assert mail["Subject"] == SUBJECT
        assert mail["Message-ID"] == message_id
        assert mail["In-Reply-To"] is None
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = re.fullmatch(r"<(https://\S+)>", mail["List-Unsubscribe"].strip()).group(1)
        assert link.startswith(f"{SITE_URL}/unsubscribe/")
        token = urlsplit(link).path.split("/")[2]
        assert read_unsubscribe_token(token)[0] == subscribers[address]
        text, html = text_and_html(mail)
        assert "INVESTIGATING 00:15 CET: Our email services are inaccessible" in text
        assert "Fri 25 Jan 2013, 00:15 CET" in html
        page = f"{SITE_URL}{incident.get_absolute_url()}"
        assert page in text and page in html
        assert link in text and link in html.replace("&amp;", "&")
    sent = mail_deliveries(incident)
    assert set(sent.values_list("attempts", flat=True)) == {1}
    assert set(sent.values_list("reference", flat=True)) == {message_id}


def test_a_worker_killed_mid_fan_out_is_replaced_and_only_a_mail_in_flight_can_come_twice(
    worker: Worker, smtp: SmtpServer, broker: None, settings
) -> None:
    """Everyone gets the mail; nobody gets two, except whoever's mail was in flight at the kill.

    Between the server accepting a message and the worker recording it there is a moment
    no code can close (SMTP has no way to ask "did you get it?"), so a crash there sends
    that one message again. That is at most one mail per pool process killed, with the same
    Message-ID (clients that thread by it show one); anything beyond that is a bug.

    The worker records a mail in its journal file at once and in the ledger a group at a
    time; its replacement writes the journals of the killed batches to the ledger first, as
    `journal.recover()` does here.
    """
    worker.start()
    addresses = subscribe(2000)
    ids = dict(Subscriber.objects.values_list("id", "email"))

    incident = publish_ddos()
    wait_until(lambda: len(smtp.messages) >= 300, 60, "300 mails accepted", worker)
    worker.kill()
    # The server may still be reading a mail the worker wrote just before it died.
    assert smtp.wait_until_idle(), "the SMTP server still holds a dead worker's connection"
    accepted = set(smtp.count_by_recipient())
    settings.VAR_DIR = worker.env["VAR_DIR"]
    journal.recover()
    recorded = {
        ids[int(t)]
        for t in mail_deliveries(incident).filter(state="sent").values_list("target", flat=True)
    }
    in_flight = accepted - recorded
    assert len(accepted) < 2000, "the fan-out finished before the kill: nothing was tested"
    assert len(in_flight) <= worker.concurrency

    worker.start()
    wait_for_everyone(smtp, incident, addresses, worker, timeout=90)

    assert set(duplicates(smtp)) <= in_flight
    assert set(duplicates(smtp).values()) <= {2}
    assert len(smtp.messages) == 2000 + len(duplicates(smtp))
    for address in duplicates(smtp):
        first, again = smtp.to(address)
        assert first["Message-ID"] == again["Message-ID"]


def test_a_slow_mail_server_does_not_make_the_sweeper_send_a_batch_twice(
    worker: Worker, smtp: SmtpServer, broker: None
) -> None:
    # 200 mails a batch at 20 ms each: a batch takes twice the sending timeout (2 s).
    smtp.delay = 0.02
    worker.start()
    addresses = subscribe(400)

    incident = publish_ddos()
    wait_for_everyone(smtp, incident, addresses, worker, timeout=60)

    assert duplicates(smtp) == {}
    assert len(smtp.messages) == 400


def test_mail_waits_while_the_smtp_server_is_down_and_arrives_once_when_it_returns(
    worker: Worker, smtp: SmtpServer, broker: None
) -> None:
    worker.start()
    addresses = subscribe(300)
    smtp.stop()

    incident = publish_ddos()
    # Down until every delivery was tried more often than the 8 tries that once failed it:
    # an outage fails mail only by lasting DELIVERY_GIVE_UP_AFTER (6 hours here).
    wait_until(
        lambda: mail_deliveries(incident).filter(attempts__gte=9).count() == 300,
        60,
        "every delivery to be tried 9 times",
        worker,
    )
    assert smtp.messages == []
    assert DeliveryState.FAILED not in states(incident)
    assert "Cannot reach the mail server" in mail_deliveries(incident).first().last_error
    smtp.start()

    wait_for_everyone(smtp, incident, addresses, worker, timeout=60)
    assert duplicates(smtp) == {}
    assert len(smtp.messages) == 300
    assert set(mail_deliveries(incident).values_list("last_error", flat=True)) == {""}


def test_a_publish_with_the_broker_down_succeeds_and_the_sweeper_sends_it_later(
    worker: Worker, smtp: SmtpServer, redis: RedisServer, broker: None
) -> None:
    addresses = subscribe(300)
    redis.stop()

    started = time.monotonic()
    incident = publish_ddos()
    took = time.monotonic() - started

    assert took < 5, f"the publish took {took:.1f} s with the broker down"
    assert "email" in Notice.objects.get(incident=incident).channels
    # The publish wrote the lists (the mailing list, and those of the hook channels), for a
    # worker to expand; nothing took them yet.
    lists = Expansion.objects.filter(notice__incident=incident)
    assert "email" in {mailing.channel for mailing in lists}
    assert {(mailing.claimed_at, mailing.done_at) for mailing in lists} == {(None, None)}
    assert states(incident) == {}

    redis.start()
    worker.start()
    wait_for_everyone(smtp, incident, addresses, worker, timeout=60)
    assert duplicates(smtp) == {}
    assert len(smtp.messages) == 300


@pytest.mark.django_db
def test_a_mail_server_refusing_our_login_fails_the_deliveries_at_once(
    broker: None, settings
) -> None:
    with SmtpServer(refuse_logins=True) as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "status", "wrong"
        subscribe(3)
        incident = publish_ddos()
        for mailing in Expansion.objects.filter(notice__incident=incident):
            expansion.expand_mailing_list(mailing.pk)  # its batch goes to a broker no worker reads

        dispatch.run(list(mail_deliveries(incident).values_list("id", flat=True)))

    assert states(incident) == {DeliveryState.FAILED: 3}
    assert "refused our login" in mail_deliveries(incident).first().last_error


@pytest.mark.django_db
def test_with_the_broker_down_a_subscriber_gets_the_confirmation_mail_at_once(
    smtp: SmtpServer, redis: RedisServer, broker: None, settings
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    redis.stop()

    started = time.monotonic()
    tasks.request_confirmation(SubscribeRequest("new@example.com", ()))
    took = time.monotonic() - started

    assert took < 2, f"the subscribe request waited {took:.1f} s for the broker"
    [mail] = smtp.to("new@example.com")
    assert "/subscribe/confirm/" in mail.get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_the_sweeper_takes_a_long_outage_a_page_at_a_time_and_queues_each_delivery_once(
    monkeypatch, settings
) -> None:
    monkeypatch.setattr(tasks, "SWEEP_PAGE", 10)
    queued: list[int] = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", queued.extend)
    subscribe(35)
    incident = publish_ddos(channels=["email"])
    [mailing] = Expansion.objects.filter(notice__incident=incident)
    expansion.expand_mailing_list(mailing.pk)
    queued.clear()
    # An hour ago, with the broker down since: written, never queued.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    mail_deliveries(incident).update(created_at=an_hour_ago, enqueued_at=None)
    mail_deliveries(incident).filter(pk__in=mail_deliveries(incident)[:5]).update(
        state=DeliveryState.SENDING, claimed_at=an_hour_ago, claimed_by="dead-worker"
    )
    settings.DELIVERY_SWEEP_LIMIT = 25

    assert tasks.sweep() == 25
    assert tasks.sweep() == 10
    assert tasks.sweep() == 0

    assert sorted(queued) == sorted(mail_deliveries(incident).values_list("id", flat=True))
    assert states(incident) == {DeliveryState.PENDING: 35}
