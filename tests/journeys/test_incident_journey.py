"""A reader subscribes to IMAP; staff on a phone open, update and resolve an IMAP incident.

Everything goes through `make run`'s own processes and defaults: the confirmation and the
notices through the worker and the embedded mail server, the pages through granian, the
mirror through its channel.
"""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.conftest import create_staff, sign_in
from tests.journeys.product import Product

pytestmark = [pytest.mark.browser, pytest.mark.postgres_too]

READER = "imap-reader@example.net"
TITLE = "IMAP logins fail for some customers"
OPENED = "We are investigating failed IMAP logins. POP and webmail work."
UPDATES = [
    ("Identified", "The login servers lost their database connection; we are restarting them."),
    ("Monitoring", "Logins work again. We are watching the servers closely."),
]
RESOLVED = "Resolved: IMAP logins have worked for an hour."
ATOM = "{http://www.w3.org/2005/Atom}"


def confirm_subscription(reader: Page, product: Product, address: str, components: list[str]):
    """Subscribe from the page header's link and confirm from the mail the product caught."""
    reader.goto("/")
    reader.get_by_role("link", name="Subscribe").first.click()
    expect(reader).to_have_url(re.compile(r"/subscribe/$"))
    reader.get_by_label("Your email address").fill(address)
    for name in components:
        reader.get_by_label(name, exact=True).check()
    reader.get_by_role("button", name=re.compile("confirmation link")).click()
    [confirmation] = product.mails_to(address, 1)
    links = re.findall(r"https?://\S+", confirmation.get_body(("plain",)).get_content())
    # Links follow the port the site runs on, not a default nobody set.
    [link] = [url for url in links if "/confirm" in url or "/subscribe/" in url]
    assert link.startswith(product.url + "/"), link
    reader.goto(link)
    reader.get_by_role("button", name=re.compile("subscribe", re.I)).click()
    expect(reader.get_by_role("heading", level=1)).to_contain_text(re.compile("subscribed", re.I))


def post_from_card(
    phone: Page,
    incident_id: int,
    status: str,
    text: str,
    promise: str | None = None,
    norwegian: str | None = None,
) -> None:
    """The dashboard's two taps plus the text: "Post update", write, "Post update"; with
    `promise`, one more tap on that next-update interval ("30 min"); with `norwegian`, the
    Norwegian text too, beside the English."""
    phone.wait_for_load_state()  # htmx has wired the page up
    card = phone.locator(f"#incident-{incident_id}")
    card.get_by_role("button", name="Post update", exact=True).click()
    form = card.locator("form.update-form")
    expect(form).to_be_visible()
    form.get_by_label("Status", exact=True).select_option(label=status)
    form.get_by_label("Message", exact=True).fill(text)
    if norwegian:
        form.get_by_text("Norwegian Bokmal (optional)", exact=True).click()
        form.get_by_label("Message (Norwegian Bokmal)", exact=True).fill(norwegian)
    if promise:
        form.locator("label.chip", has_text=promise).click()
        expect(form.get_by_role("radio", name=promise)).to_be_checked()
    form.get_by_role("button", name="Post update", exact=True).click()
    expect(card.locator("form")).to_have_count(0)
    expect(card).to_contain_text(text)


def wait_until(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def test_a_reader_follows_an_imap_incident_from_subscribing_to_its_resolution(
    product: Product, reader: Page, phone: Page, artifacts
) -> None:
    confirm_subscription(reader, product, READER, components=["IMAP"])
    # A link shared with tracking parameters opens the page, not an error.
    response = reader.goto("/?utm_source=newsletter&fbclid=abc")
    assert response is not None and response.status == 200
    expect(reader.get_by_role("heading", level=1)).to_be_visible()

    # Staff made as the README says, signing in for the first time on a phone.
    sign_in(phone, create_staff(product, "oncall", "editor"))
    phone.get_by_role("link", name="Open an incident").first.click()
    form = phone.locator("#incident-form")
    form.get_by_label("Title", exact=True).fill(TITLE)
    form.get_by_label("Impact", exact=True).select_option("major")
    form.get_by_label("IMAP", exact=True).select_option("major_outage")
    form.get_by_label("Message", exact=True).fill(OPENED)
    form.get_by_role("button", name="Publish").click()
    expect(phone).to_have_url(re.compile(r"/staff/incidents/\d+/$"))
    incident_id = int(re.search(r"/incidents/(\d+)/$", phone.url)[1])

    phone.goto("/staff/")
    (identified, identified_text), (monitoring, monitoring_text) = UPDATES
    post_from_card(phone, incident_id, identified, identified_text, promise="30 min")
    # The promise, with its zone, where readers look while it stands.
    reader.goto(f"/incidents/{incident_id}/")
    expect(reader.locator("p.next-update")).to_have_text(
        re.compile(r"Next update by .*\d\d:\d\d CES?T$")
    )
    post_from_card(phone, incident_id, monitoring, monitoring_text)
    post_from_card(phone, incident_id, "Resolved", RESOLVED)
    phone.screenshot(path=artifacts / "incident-dashboard-phone.png", full_page=True)

    # The reader: the confirmation, then exactly four notices, in one thread. Two workers
    # send, so mails may arrive in any order; the thread is in their headers.
    mails = product.mails_to(READER, 5)
    notices = [m for m in mails if TITLE in m["Subject"]]
    assert len(notices) == 4, [m["Subject"] for m in mails]
    [first] = [m for m in notices if m["In-Reply-To"] is None]
    replies = [m for m in notices if m is not first]
    assert all(m["In-Reply-To"] == first["Message-ID"] for m in replies)
    assert all(first["Message-ID"] in m["References"] for m in replies)
    texts = [m.get_body(("plain",)).get_content() for m in notices]
    assert [identified_text in t for t in texts if "Next update by" in t] == [True], texts
    for said in [OPENED, RESOLVED, *(text for _, text in UPDATES)]:
        assert sum(said in text for text in texts) >= 1, said

    # The deliveries page: each of the four notices with its mails sent, none failed (the
    # page refreshes itself while any delivery is on its way).
    phone.goto("/staff/deliveries/")
    rows = phone.locator("table.notices tbody tr", has_text=TITLE)
    expect(rows).to_have_count(4)
    for row in rows.all():
        tallies = row.locator("td[data-label='Deliveries']")
        expect(tallies).not_to_contain_text(re.compile("failed|retrying|pending"), timeout=30_000)
        expect(tallies).to_contain_text(re.compile(r"email:\s*[1-9]\d* sent"))

    # The status page, the incident page, the feed, the API and the mirror show the last word.
    reader.goto("/")
    expect(reader.locator("main")).to_contain_text(TITLE)
    reader.goto(f"/incidents/{incident_id}/?utm_source=x")
    expect(reader.locator("ol.timeline > li.update").first).to_contain_text(RESOLVED)
    feed = ET.fromstring(reader.request.get("/feed.atom").body())
    [entry] = [e for e in feed.iter(f"{ATOM}entry") if TITLE in e.findtext(f"{ATOM}title", "")]
    assert RESOLVED in ET.tostring(entry, encoding="unicode")
    api = json.loads(reader.request.get("/api/v2/incidents.json").body())
    [listed] = [i for i in api["incidents"] if i["name"] == TITLE]
    assert listed["status"] == "resolved"
    assert RESOLVED in listed["incident_updates"][0]["body"]
    wait_until(lambda: RESOLVED in product.mirrored(f"incidents/{incident_id}/"), "the mirror")

    follow_imap_from_its_bars(reader, incident_id)


def follow_imap_from_its_bars(reader: Page, incident_id: int) -> None:
    """The IMAP row's 90 days of bars and its uptime; its own page, from the row's link."""
    reader.goto("/")
    link = reader.get_by_role("link", name="IMAP", exact=True)
    imap = reader.locator("li.component").filter(has=link)
    expect(imap.locator(".bars > *")).to_have_count(90)
    expect(imap.locator(".uptime-total")).to_have_text(
        re.compile(r"^(\d+(\.\d\d)?% uptime over|No uptime data for) the last 90 days$")
    )
    expect(imap.locator(".bars > *").last).to_have_attribute(
        "title", re.compile(r"^\w{3} \d+ \w{3}")
    )
    # A phone shows the last 30 days, and the page does not scroll sideways.
    reader.set_viewport_size({"width": 390, "height": 844})
    visible = imap.locator(".bars > *").evaluate_all(
        "bars => bars.filter(b => b.getBoundingClientRect().width > 0).length"
    )
    assert visible == 30
    assert reader.evaluate("document.documentElement.scrollWidth") <= 390
    reader.set_viewport_size({"width": 1280, "height": 900})
    imap.get_by_role("link", name="IMAP", exact=True).click()
    expect(reader).to_have_url(re.compile(r"/components/\d+/$"))
    expect(reader.get_by_role("heading", level=1)).to_have_text("IMAP")
    expect(reader.locator("dl.facts")).to_contain_text("Uptime, 365 days")
    recent = reader.locator("ul.history")
    expect(recent.get_by_role("link", name=TITLE)).to_have_attribute(
        "href", re.compile(rf"incidents/{incident_id}/$")
    )
