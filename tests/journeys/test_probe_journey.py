"""An admin points a probe at a POP server; it fails, the console hands staff a ready incident.

The POP server is a real Dovecot on loopback that the journey stops and starts; the probe runs
on `make run`'s own worker and beat at their default tick, from the worker's default location
(the host's name). The probe sets its component's status by itself: the public page shows it
at once and the probe sets it back on recovery, unless an incident a person published holds it.
"""

from __future__ import annotations

import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.journeys.conftest import create_staff, sign_in
from tests.journeys.product import Product
from tests.journeys.test_incident_journey import post_from_card
from tests.servers.certificates import TestCertificates
from tests.servers.dovecot import DovecotServer

pytestmark = [pytest.mark.browser, pytest.mark.postgres_too]

COMPONENT = "POP"  # no other journey touches it
PROBE = "Loopback POP greeting"
GREETING = "Runbox POP ready"
ADMIN_EMAIL = "probe-admin@example.net"
RESOLVED = "Resolved: the POP server answers again; it had stopped."
INTERVAL = 10  # the shortest a probe may have
# Two failed runs in a row (PROBE_FAILURES_IN_A_ROW) a run apart, with room for a slow tick.
ALERT_SECONDS = 6 * INTERVAL
STAMP = re.compile(r"since (\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d) ([A-Z][A-Za-z0-9+-]+)")


@pytest.fixture
def pop_server() -> Iterator[DovecotServer]:
    with tempfile.TemporaryDirectory(prefix="journey-pop-") as directory:
        workdir = Path(directory)
        workdir.chmod(0o755)  # Dovecot's login processes run as another user
        certificate, key = TestCertificates(workdir / "certs").leaf("pop")
        with DovecotServer(workdir, certificate, key, greeting=GREETING) as server:
            yield server


def location(product: Product) -> str:
    """Where `make run`'s worker probes from: PROBE_LOCATION, by default the host's name."""
    return product.env.get("PROBE_LOCATION") or socket.gethostname().split(".")[0] or "local"


def site_zone(product: Product) -> ZoneInfo:
    return ZoneInfo(product.env.get("SITE_TIME_ZONE") or "Europe/Oslo")


def reload_until(page: Page, url: str, check: Callable[[Page], None], timeout: float) -> None:
    """Load `url` again until `check` (Playwright expectations) holds: for pages that show what
    a worker did since, without refreshing themselves (or only every 30 s)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        try:
            check(page)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def component_pill(reader: Page) -> Locator:
    row = reader.locator("li.component").filter(
        has=reader.locator(".component-name", has_text=re.compile(f"^{COMPONENT}"))
    )
    return row.locator(".pill")


def public_status_is(reader: Page, status: str, timeout: float = 30) -> None:
    def shows(page: Page) -> None:
        expect(component_pill(page)).to_have_text(status, timeout=2_000)

    reload_until(reader, "/", shows, timeout)


def alert_card(desk: Page) -> Locator:
    return desk.locator("article.probe-alert", has_text=PROBE)


def wait_for_alert(desk: Page) -> Locator:
    reload_until(
        desk, "/staff/", lambda p: expect(alert_card(p)).to_be_visible(timeout=2_000), ALERT_SECONDS
    )
    return alert_card(desk)


def wait_for_recovery(desk: Page) -> None:
    reload_until(
        desk, "/staff/", lambda p: expect(alert_card(p)).to_have_count(0, timeout=2_000), 40
    )


def check_evidence(card: Locator, product: Product, port: int, stopped_at: datetime) -> str:
    """What failed, from where, since when (in the site's zone); returns the 'since' text."""
    expect(card.locator("h3")).to_have_text(f"{COMPONENT}: {PROBE} failing")
    expect(card.locator(".meta")).to_contain_text(f"The POP3 check of 127.0.0.1:{port}")
    expect(card.locator(".meta")).to_contain_text(
        f"the probe set {COMPONENT} to “Partial outage” (subscribers were not told)"
    )
    [row] = card.locator("li").all()
    expect(row).to_have_text(
        re.compile(
            rf"^From {re.escape(location(product))} since .+: \d+ failures in a row, "
            r"“connect refused”$"
        )
    )
    found = STAMP.search(row.inner_text())
    assert found, row.inner_text()
    zone = site_zone(product)
    since = datetime.strptime(found[1], "%a %d %b %Y, %H:%M").replace(tzinfo=zone)
    assert found[2] == since.tzname(), found[0]
    # The first failed run: after the server stopped (a run already connecting may fail as it
    # goes down), within the minutes since.
    earliest = stopped_at.astimezone(zone).replace(second=0, microsecond=0) - timedelta(minutes=1)
    assert earliest <= since <= datetime.now(UTC), (found[0], stopped_at)
    return f"{found[1]} {found[2]}"


def add_probe(desk: Page, port: int) -> None:
    desk.goto("/staff/probes/")
    desk.get_by_role("link", name="Add a probe").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Add a probe")
    desk.get_by_label("Component", exact=True).select_option(label=COMPONENT)
    desk.get_by_label("Name", exact=True).fill(PROBE)
    desk.get_by_label("Kind", exact=True).select_option(label="POP3")
    desk.get_by_label("Host", exact=True).fill("127.0.0.1")
    desk.get_by_label("Port", exact=True).fill(str(port))
    desk.get_by_label("TLS", exact=True).select_option(label="No TLS")
    desk.get_by_label("Expected text", exact=True).fill(GREETING)
    desk.get_by_label("Every (seconds)", exact=True).fill(str(INTERVAL))
    desk.get_by_label("Timeout (seconds)", exact=True).fill("3")
    desk.get_by_label("A failure sets the component's status by itself").check()
    desk.get_by_label("Status on failure", exact=True).select_option(label="Partial outage")
    desk.get_by_role("button", name="Add the probe").click()
    expect(desk).to_have_url(re.compile(r"/staff/probes/$"))
    expect(desk.locator("ul.flash")).to_contain_text(f"Added the probe “{PROBE}”")


def alert_mail_body(product: Product, alert_id: int, timeout: float = 90) -> str:
    """The staff mail about the alert (sent at the next tick): it links to the form from it."""
    deadline = time.monotonic() + timeout
    while True:
        for mail in product.mails():
            if mail["Delivered-To"] == ADMIN_EMAIL and PROBE in mail["Subject"]:
                body = mail.get_body(("plain",)).get_content()
                if f"/staff/incidents/new/?alert={alert_id}\n" in body:
                    return body
        assert time.monotonic() < deadline, f"no mail to {ADMIN_EMAIL} of alert {alert_id}"
        time.sleep(0.25)


def test_a_failing_pop_probe_hands_staff_a_ready_incident(
    product: Product, pop_server: DovecotServer, desk: Page, reader: Page, artifacts
) -> None:
    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = round(time.monotonic() - started, 1)

    port = pop_server.pop3_port
    public_status_is(reader, "Operational")
    # An admin with an address, so the alert's mail reaches someone.
    sign_in(desk, create_staff(product, "probe-admin", "admin", email=ADMIN_EMAIL))
    add_probe(desk, port)

    # Its results come in: OK from the worker's location, with a time.
    row = desk.locator("tbody tr", has_text=PROBE)
    here = location(product)
    reload_until(
        desk,
        "/staff/probes/",
        lambda p: expect(row.get_by_text(f"{here}: OK")).to_be_visible(timeout=2_000),
        3 * INTERVAL,
    )
    expect(row).to_contain_text(re.compile(r"\d+ ms"))
    expect(row).to_contain_text(f"POP3 127.0.0.1:{port} · every {INTERVAL} s")
    lap("first result")

    # The server stops: the probe fails, sets POP to a partial outage, and the card says why.
    stopped_at = datetime.now(UTC)
    pop_server.stop()
    card = wait_for_alert(desk)
    check_evidence(card, product, port, stopped_at)
    lap("first alert")
    public_status_is(reader, "Partial outage", timeout=5)

    # Back again: the alert closes and the probe sets POP back by itself.
    pop_server.start()
    wait_for_recovery(desk)
    public_status_is(reader, "Operational", timeout=5)
    lap("first recovery")

    # Down again; this time a person opens an incident from the alert.
    stopped_at = datetime.now(UTC)
    pop_server.stop()
    card = wait_for_alert(desk)
    since = check_evidence(card, product, port, stopped_at)
    lap("second alert")
    desk.screenshot(path=artifacts / "probe-alert-dashboard.png", full_page=True)
    card.get_by_role("link", name="Open an incident").click()
    expect(desk).to_have_url(re.compile(r"/staff/incidents/new/\?alert=\d+$"))
    alert_id = int(desk.url.rsplit("=", 1)[1])
    form = desk.locator("#incident-form")
    expect(form.get_by_role("status")).to_contain_text(f"From the alert on {PROBE} ({COMPONENT})")
    title = f"{COMPONENT}: {PROBE} failing"
    expect(form.get_by_label("Title", exact=True)).to_have_value(title)
    expect(form.get_by_label("Impact", exact=True)).to_have_value("minor")
    expect(form.get_by_label(COMPONENT, exact=True)).to_have_value("partial_outage")
    expect(form.get_by_label("Message", exact=True)).to_have_value(
        re.compile(
            rf"our POP3 check of 127\.0\.0\.1:{port} has been failing "
            rf"from {re.escape(here)} since {re.escape(since)} \(connect refused\)"
        )
    )
    form.get_by_role("button", name="Publish").click()
    expect(desk).to_have_url(re.compile(r"/staff/incidents/\d+/$"))
    incident_id = int(re.search(r"/incidents/(\d+)/$", desk.url)[1])

    # The card now leads to the incident; a reader sees it, and POP in a partial outage.
    desk.goto("/staff/")
    expect(alert_card(desk).get_by_role("link", name=f"Incident: {title}")).to_be_visible()
    reader.goto("/")
    expect(reader.locator("main")).to_contain_text(title)
    expect(component_pill(reader)).to_have_text("Partial outage")
    reader.goto(f"/incidents/{incident_id}/")
    expect(reader.locator("main")).to_contain_text(f"from {here} since {since}")
    lap("incident published")

    # Staff heard of it by mail too, with the same evidence.
    body = alert_mail_body(product, alert_id)
    assert f"- from {here} since {since}, " in body, body
    assert "connect refused" in body, body
    lap("alert mail")

    # Recovery leaves POP alone while the incident a person published holds it...
    pop_server.start()
    wait_for_recovery(desk)
    reader.goto("/")
    expect(component_pill(reader)).to_have_text("Partial outage")
    # ...until that person resolves it.
    desk.goto("/staff/")
    post_from_card(desk, incident_id, "Resolved", RESOLVED)
    public_status_is(reader, "Operational", timeout=10)
    lap("resolved")

    # The journey's server goes away with it: the admin disables the probe, keeping its history.
    desk.goto("/staff/probes/")
    row.get_by_role("link", name=PROBE).click()
    desk.get_by_role("button", name=f"Disable “{PROBE}”").click()
    expect(desk.locator("ul.flash")).to_contain_text(f"“{PROBE}” is disabled")
    expect(row).to_contain_text("(disabled)")
    print(f"\nprobe journey timings (s since the test began): {timings}")
