"""When mail is down: a reader subscribes by SMS and this browser, and hears of an incident.

The reader confirms a number with the code texted to it, then adds this browser from their own
page. Staff open and resolve a POP incident from a phone; the number hears of the opening and
the resolution (SMS is for those by default; the update between them stays off it), the browser
of all three, through `make run`'s own worker: to Twilio's API and a push service, both faked on
loopback. The push service decrypts each message with the browser's keys and checks the VAPID
signature, as a browser vendor's would. Headless Chromium reaches no push service, so only its
`pushManager.subscribe` is stood in for (tests/browser/test_push_subscribe.py says how); the
service worker, the page's script and its POST are real. Leaving from the own page ends both.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_push_subscribe import FAKE_SUBSCRIBE
from tests.journeys.conftest import create_staff, sign_in
from tests.journeys.product import Product
from tests.journeys.test_incident_journey import post_from_card
from tests.notifier.push_service import PushService
from tests.notifier.sms_provider import Provider as SmsProvider

pytestmark = [pytest.mark.browser, pytest.mark.postgres_too]

NUMBER_TYPED, NUMBER = "412 34 567", "+4741234567"
TITLE = "POP logins time out"
OPENED = "POP logins time out for most customers. IMAP and webmail work."
IDENTIFIED = "A storage node is overloaded; we are moving mailboxes off it."
RESOLVED = "POP logins have worked normally for half an hour."


def subscribe_by_sms(reader: Page, sms: SmsProvider) -> str:
    """From the page header to a confirmed number; returns the link to the reader's own page."""
    reader.goto("/")
    reader.get_by_role("link", name="Subscribe").first.click()
    reader.get_by_role("navigation", name="Ways to get notices").get_by_role(
        "link", name="SMS"
    ).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Get notices by SMS")
    reader.get_by_label("Your mobile number").fill(NUMBER_TYPED)
    reader.get_by_label("POP", exact=True).check()
    reader.get_by_role("button", name="Send me a code").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert sms.wait_for(lambda: sms.texts_to(NUMBER), 60), "no code came by SMS"
    [text] = sms.texts_to(NUMBER)
    code = re.search(r"\b(\d{6})\b", text)
    assert code, text
    reader.get_by_label("The code we sent you").fill(code[1])
    reader.get_by_role("button", name="Confirm").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("You are subscribed by SMS")
    expect(reader.locator("main")).to_contain_text(NUMBER)
    own_page = reader.get_by_role("link", name="Your own page").get_attribute("href")
    assert own_page
    return own_page


def add_this_browser(reader: Page, own_page: str, push: PushService) -> str:
    """From the reader's own page, "This browser"; returns the subscription's endpoint."""
    browser = push.subscribe()
    reader.context.grant_permissions(["notifications"])
    reader.context.add_init_script(FAKE_SUBSCRIBE % json.dumps(browser.subscription()))
    reader.goto(own_page)
    reader.get_by_role("link", name="This browser").click()
    reader.get_by_role("button", name="Notify me in this browser").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("This browser will be notified")
    reader.goto(own_page)
    expect(reader.locator("main")).to_contain_text(f"SMS: {NUMBER}")
    expect(reader.locator("main")).to_contain_text("This browser:")
    return browser.endpoint


def pushed(push: PushService, endpoint: str) -> list[dict]:
    path = endpoint.split(str(push.port), 1)[1]
    return [p.payload for p in push.delivered() if p.path == path and TITLE in str(p.payload)]


def incident_texts(sms: SmsProvider) -> list[str]:
    return [text for text in sms.texts_to(NUMBER) if TITLE in text]


def test_a_reader_hears_of_an_incident_by_sms_when_mail_may_not_arrive(
    product: Product,
    reader: Page,
    phone: Page,
    sms_provider: SmsProvider,
    push_service: PushService,
) -> None:
    own_page = subscribe_by_sms(reader, sms_provider)
    endpoint = add_this_browser(reader, own_page, push_service)

    sign_in(phone, create_staff(product, "smsduty", "editor"))
    phone.get_by_role("link", name="Open an incident").first.click()
    form = phone.locator("#incident-form")
    form.get_by_label("Title", exact=True).fill(TITLE)
    form.get_by_label("Impact", exact=True).select_option("major")
    form.get_by_label("POP", exact=True).select_option("major_outage")
    form.get_by_label("Message", exact=True).fill(OPENED)
    # SMS is among the channels ticked for an opening: staff see it before they publish.
    expect(form.get_by_role("checkbox", name="SMS subscribers")).to_be_checked()
    form.get_by_role("button", name="Publish").click()
    expect(phone).to_have_url(re.compile(r"/staff/incidents/\d+/$"))
    incident_id = int(re.search(r"/incidents/(\d+)/$", phone.url)[1])
    opened = sms_provider.wait_for(lambda: len(incident_texts(sms_provider)) == 1, 60)
    assert opened, "the opening did not come by SMS"

    phone.goto("/staff/")
    post_from_card(phone, incident_id, "Identified", IDENTIFIED)
    post_from_card(phone, incident_id, "Resolved", RESOLVED)
    resolved = sms_provider.wait_for(lambda: len(incident_texts(sms_provider)) == 2, 60)
    assert resolved, "the resolution did not come by SMS"
    opening, resolution = incident_texts(sms_provider)
    assert "Investigating" in opening and "Resolved" in resolution, (opening, resolution)
    for text in (opening, resolution):
        assert re.search(r"\d\d:\d\d CES?T", text), text  # the time, with its zone
        assert f"/incidents/{incident_id}/" in text and "Reply STOP" in text
    # The update between them is for other channels: still two texts once it is all sent.
    phone.goto("/staff/deliveries/")
    rows = phone.locator("table.notices tbody tr", has_text=TITLE)
    expect(rows).to_have_count(3)
    for row in rows.all():
        tallies = row.locator("td[data-label='Deliveries']")
        expect(tallies).not_to_contain_text(re.compile("failed|retrying|pending"), timeout=30_000)
    assert len(incident_texts(sms_provider)) == 2
    # The browser heard of all three, each linking to the incident, in one thread.
    three = push_service.wait_for(lambda: len(pushed(push_service, endpoint)) == 3, 60)
    assert three, pushed(push_service, endpoint)
    payloads = pushed(push_service, endpoint)
    assert [OPENED in p["body"] for p in payloads].count(True) == 1, payloads
    assert any(RESOLVED in p["body"] for p in payloads), payloads
    assert {p["tag"] for p in payloads} == {f"incident-{incident_id}"}
    assert all(p["url"].endswith(f"/incidents/{incident_id}/") for p in payloads)

    # The reader's own page: the number is there, and leaving deletes it.
    reader.goto(own_page)
    expect(reader.locator("main")).to_contain_text(f"SMS: {NUMBER}")
    reader.get_by_role("button", name=re.compile("Stop all notices")).click()
    expect(reader.get_by_role("heading", level=1)).to_contain_text(re.compile("unsubscribed", re.I))
    reader.goto(own_page)
    expect(reader.locator("main")).to_contain_text("no longer exists")
