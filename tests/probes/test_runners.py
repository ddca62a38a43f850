"""Each protocol's runner against real servers on loopback, and the faults staff must read."""

from __future__ import annotations

import dataclasses
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from probes.spec import RunOptions
from tests.probes.conftest import PROBE_PASSWORD, PROBE_USER, probe, run
from tests.probes.faults import FaultServer, dies_mid_handshake, greets, silent
from tests.servers.postgres import free_port


def days_from_now(moment: datetime | None) -> float:
    assert moment is not None
    return (moment - datetime.now(UTC)) / timedelta(days=1)


# HTTPS


def test_https_passes_and_reads_a_certificate_that_expires_in_5_days(https_expiring_soon, options):
    outcome = run(probe("https", https_expiring_soon.port, expected_text="Runbox status"), options)

    assert outcome.ok, outcome.error
    assert 4.9 < days_from_now(outcome.cert_expires_at) < 5.1
    assert outcome.duration_ms > 0


def test_https_fails_when_the_expected_text_is_not_in_the_body(https_expiring_soon, options):
    outcome = run(probe("https", https_expiring_soon.port, expected_text="Fastmail"), options)

    assert not outcome.ok
    assert outcome.error == "body did not contain 'Fastmail' in its first 64 KiB"


def test_https_fails_on_a_status_other_than_the_expected_one(https_expiring_soon, options):
    missing = probe("https", https_expiring_soon.port, path="/gone", expected_status=200)

    assert run(missing, options).error == "HTTP status 404, expected 200"


def test_https_says_when_an_expired_certificate_expired(https_expired, options):
    outcome = run(probe("https", https_expired.port), options)

    assert not outcome.ok
    expected = datetime.now(UTC) - timedelta(days=30)
    assert outcome.error.startswith(f"certificate expired on {expected:%Y-%m-%d}")
    assert -30.1 < days_from_now(outcome.cert_expires_at) < -29.9


def test_https_refuses_a_self_signed_certificate(https_self_signed, options):
    outcome = run(probe("https", https_self_signed.port), options)

    assert (outcome.ok, outcome.error) == (False, "certificate is self-signed (not trusted)")


def test_a_certificate_for_another_name_is_refused(certs, options):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certs.leaf("elsewhere", names="DNS:elsewhere.test"))

    with FaultServer(greets(b"220 elsewhere\r\n"), tls=context) as server:
        outcome = run(probe("smtp", server.port, tls="implicit"), options)

    assert outcome.error == "certificate is not for 127.0.0.1"


def test_a_server_that_dies_mid_handshake_is_named_as_such(options):
    with FaultServer(dies_mid_handshake) as server:
        outcome = run(probe("https", server.port), options)

    assert outcome.error == "connection closed during TLS handshake"


def test_a_port_that_accepts_and_never_answers_times_out_at_its_step(options):
    with FaultServer(silent) as server:
        https = run(probe("https", server.port, timeout_seconds=1), options)
        smtp = run(probe("smtp", server.port, tls="starttls", timeout_seconds=1), options)

    assert https.error == "no TLS handshake within 1 s"
    assert smtp.error == "no greeting within 1 s"
    assert 900 < smtp.duration_ms < 2000


def test_a_refused_port_is_a_refused_connect(options):
    assert run(probe("tcp", free_port(), tls="none"), options).error == "connect refused"


def test_a_failed_probe_is_tried_again_up_to_its_retries(options):
    with FaultServer(greets(b"554 not today\r\n")) as server:
        outcome = run(probe("smtp", server.port, tls="starttls", retries=2), options)

    assert outcome.error == "banner was 554, not 220: 'not today'"
    assert len(server.peers) == 3


# SMTP


def test_smtp_starttls_reads_the_banner_and_the_certificate(smtp_starttls, options):
    spec = probe("smtp", smtp_starttls.port, tls="starttls", expected_text="mx.runbox.test")
    outcome = run(spec, options)

    assert outcome.ok, outcome.error
    assert 29 < days_from_now(outcome.cert_expires_at) < 31


def test_smtp_fails_on_a_banner_without_the_expected_text(smtp_starttls, options):
    spec = probe("smtp", smtp_starttls.port, tls="starttls", expected_text="mx.fastmail")

    assert run(spec, options).error == "banner did not contain 'mx.fastmail'"


def test_smtp_on_465_speaks_tls_from_the_first_byte(smtps, smtp_starttls, options):
    assert run(probe("smtp", smtps.port, tls="implicit"), options).ok
    # The same probe against a STARTTLS port fails in the handshake, not silently.
    plain = run(probe("smtp", smtp_starttls.port, tls="implicit", timeout_seconds=1), options)
    assert not plain.ok
    assert "TLS" in plain.error


def test_smtp_without_starttls_on_offer_fails_a_starttls_probe(options):
    script = b"220 relay ESMTP\r\n"

    async def no_starttls(reader, writer):
        writer.write(script)
        await reader.readline()
        writer.write(b"250-relay\r\n250 8BITMIME\r\n")
        await reader.read()

    with FaultServer(no_starttls) as server:
        outcome = run(probe("smtp", server.port, tls="starttls"), options)

    assert outcome.error == "server does not offer STARTTLS"


# IMAP and POP (Dovecot)


def test_imap_over_tls_greets_and_logs_in(dovecot, options):
    spec = probe("imap", dovecot.imaps_port, expected_text="Runbox mail", login_user=PROBE_USER)
    outcome = run(spec, options)

    assert outcome.ok, outcome.error
    assert outcome.cert_expires_at is not None


def test_pop_over_tls_greets_and_logs_in(dovecot, options):
    outcome = run(probe("pop", dovecot.pop3s_port, login_user=PROBE_USER), options)

    assert outcome.ok, outcome.error


@pytest.mark.parametrize("kind", ["imap", "pop"])
def test_imap_and_pop_upgrade_with_starttls_before_logging_in(dovecot, options, kind: str):
    port = dovecot.imap_port if kind == "imap" else dovecot.pop3_port
    outcome = run(probe(kind, port, tls="starttls", login_user=PROBE_USER), options)

    assert outcome.ok, outcome.error
    assert outcome.cert_expires_at is not None  # the certificate came after the upgrade


@pytest.mark.parametrize(("kind", "refusal"), [("imap", "LOGIN refused"), ("pop", "PASS refused")])
def test_a_refused_login_is_reported_without_the_password(
    dovecot, options, tmp_path: Path, kind: str, refusal: str
):
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not " + PROBE_PASSWORD)
    port = dovecot.imaps_port if kind == "imap" else dovecot.pop3s_port
    spec = probe(kind, port, login_user=PROBE_USER, timeout_seconds=10)

    outcome = run(spec, dataclasses.replace(options, login_password_file=str(wrong)))

    assert outcome.error.startswith(refusal)
    assert PROBE_PASSWORD not in outcome.error


def test_a_login_without_a_password_file_says_which_setting_is_missing(dovecot, options):
    spec = probe("imap", dovecot.imaps_port, login_user=PROBE_USER)

    outcome = run(spec, dataclasses.replace(options, login_password_file=""))

    assert outcome.error == "a login is asked but PROBE_LOGIN_PASSWORD_FILE is not set"


# DNS (dnsmasq)


def dns_probe(name: str, record_type: str, *expected: str):
    return dataclasses.replace(
        probe("dns", None, tls="none"), host=name, record_type=record_type, expected_values=expected
    )


def test_dns_records_resolve_to_what_is_expected(dns_server):
    options = RunOptions(dns_resolver=dns_server.address)

    assert run(dns_probe("www.runbox.test", "A", "192.0.2.10"), options).ok
    assert run(dns_probe("www.runbox.test", "AAAA", "2001:db8::10"), options).ok
    mx_hosts = dns_probe("runbox.test", "MX", "mx2.runbox.test.", "MX1.runbox.test")
    assert run(mx_hosts, options).ok
    assert run(
        dns_probe("runbox.test", "MX", "10 mx1.runbox.test", "20 mx2.runbox.test"), options
    ).ok


def test_dns_says_what_a_name_resolved_to_when_it_is_not_expected(dns_server):
    options = RunOptions(dns_resolver=dns_server.address)

    moved = run(dns_probe("www.runbox.test", "A", "192.0.2.99"), options)
    one_mx_gone = run(dns_probe("runbox.test", "MX", "mx1.runbox.test"), options)

    assert moved.error == "A www.runbox.test resolved to 192.0.2.10; expected 192.0.2.99"
    assert one_mx_gone.error == (
        "MX runbox.test resolved to 10 mx1.runbox.test, 20 mx2.runbox.test; "
        "expected mx1.runbox.test"
    )


def test_dns_names_a_missing_record(dns_server):
    options = RunOptions(dns_resolver=dns_server.address)

    assert run(dns_probe("runbox.test", "A"), options).error == "runbox.test has no A record"


def test_a_resolver_that_never_answers_is_a_timeout(options):
    with FaultServer(silent) as server:  # TCP only: the UDP question goes unanswered
        spec = dataclasses.replace(dns_probe("runbox.test", "A"), timeout_seconds=1)
        outcome = run(spec, RunOptions(dns_resolver=f"127.0.0.1:{server.port}"))

    assert outcome.error == "no DNS answer within 1 s"


# TCP


def test_tcp_passes_on_a_port_that_accepts(smtp_starttls, options):
    assert run(probe("tcp", smtp_starttls.port, tls="none"), options).ok
    wrong = probe("tcp", smtp_starttls.port, tls="none", expected_text="SSH-2.0")
    assert run(wrong, options).error == "greeting did not contain 'SSH-2.0'"
