"""A Norwegian reader: switches the status page to Norwegian, subscribes there, and reads the
notices in Norwegian, with the title staff translated on the console's translation page and an
update's text written in Norwegian beside the English as it was posted.

Through `make run`'s own processes: the confirmation and the notices by its worker and
embedded mail server, the pages by granian.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.conftest import create_staff, sign_in
from tests.journeys.product import Product
from tests.journeys.test_incident_journey import post_from_card

pytestmark = [pytest.mark.browser, pytest.mark.postgres_too]

READER = "norsk-leser@example.net"
TITLE = "Webmail loads slowly"
TITLE_NB = "Webmail laster sakte"
OPENED = "Webmail takes a minute to load. IMAP and POP work."
FOUND = "We found the cause: a full disk on one web server."
FOUND_NB = "Vi har funnet årsaken: en full disk på en av webserverne."


def subscribe_in_norwegian(reader: Page, product: Product) -> None:
    reader.goto("/")
    expect(reader.locator("html")).to_have_attribute("lang", "en")
    languages = reader.get_by_role("navigation", name="Language")
    languages.get_by_role("link", name="Norsk").click()
    expect(reader).to_have_url(re.compile(r"/nb/$"))
    expect(reader.locator("html")).to_have_attribute("lang", "nb")
    switch = reader.get_by_role("navigation", name="Språk").get_by_role("link", name="English")
    expect(switch).to_have_attribute("hreflang", "en")
    reader.get_by_role("link", name="Abonner").first.click()
    expect(reader).to_have_url(re.compile(r"/nb/subscribe/$"))
    expect(reader.get_by_role("heading", level=1)).to_have_text("Få varsler på e-post")
    reader.get_by_label("Din e-postadresse").fill(READER)
    reader.get_by_label("Webmail", exact=True).check()
    reader.get_by_role("button", name="Send meg en bekreftelseslenke").click()
    [confirmation] = product.mails_to(READER, 1)
    assert "Bekreft abonnementet ditt" in confirmation["Subject"], confirmation["Subject"]
    body = confirmation.get_body(("plain",)).get_content()
    [link] = [url for url in re.findall(r"https?://\S+", body) if "/confirm/" in url]
    assert link.startswith(f"{product.url}/nb/subscribe/confirm/"), link
    reader.goto(link)
    reader.get_by_role("button", name="Ja, jeg vil abonnere").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Du abonnerer nå")


def test_a_reader_switches_to_norwegian_subscribes_and_reads_the_notices_in_norwegian(
    product: Product, reader: Page, phone: Page
) -> None:
    subscribe_in_norwegian(reader, product)

    # Staff write in English, as they usually do, and publish at once.
    sign_in(phone, create_staff(product, "translator", "editor"))
    phone.get_by_role("link", name="Open an incident").first.click()
    form = phone.locator("#incident-form")
    form.get_by_label("Title", exact=True).fill(TITLE)
    form.get_by_label("Webmail", exact=True).select_option("degraded_performance")
    form.get_by_label("Message", exact=True).fill(OPENED)
    form.get_by_role("button", name="Publish").click()
    expect(phone).to_have_url(re.compile(r"/staff/incidents/\d+/$"))
    incident_id = int(re.search(r"/incidents/(\d+)/$", phone.url)[1])

    # The notice: Norwegian words, dates and links; the staff's English marked as such.
    _confirmation, opened = product.mails_to(READER, 2)
    text = opened.get_body(("plain",)).get_content()
    assert f"{product.url}/nb/incidents/{incident_id}/" in text, text
    assert "Berører: Webmail" in text and "Følg oppdateringene på:" in text, text
    html = opened.get_body(("html",)).get_content()
    assert '<html lang="nb">' in html and f'<div lang="en"><p>{OPENED}</p></div>' in html

    # Then the Norwegian title, on the incident's translation page.
    phone.get_by_role("link", name="Add the Norwegian Bokmal text").first.click()
    expect(phone.locator("section[lang='en']")).to_contain_text(TITLE)
    phone.get_by_label("Title (Norwegian Bokmal)").fill(TITLE_NB)
    phone.get_by_role("button", name="Save the Norwegian Bokmal text").click()
    expect(phone).to_have_url(re.compile(rf"/staff/incidents/{incident_id}/$"))

    reader.goto(f"/nb/incidents/{incident_id}/")
    expect(reader.get_by_role("heading", level=1)).to_contain_text(TITLE_NB)
    expect(reader.locator("main [lang='en']", has_text=OPENED)).to_be_visible()
    expect(reader.locator("main")).to_contain_text("Ikke oversatt ennå")
    reader.get_by_role("navigation", name="Språk").get_by_role("link", name="English").click()
    expect(reader).to_have_url(re.compile(rf"/incidents/{incident_id}/$"))
    expect(reader.get_by_role("heading", level=1)).to_contain_text(TITLE)

    # The next notice carries the Norwegian title, and the update's Norwegian written with it.
    phone.goto("/staff/")
    post_from_card(phone, incident_id, "Identified", FOUND, norwegian=FOUND_NB)
    mails = product.mails_to(READER, 3)
    [found] = [m for m in mails if TITLE_NB in m["Subject"]]
    text = found.get_body(("plain",)).get_content()
    assert FOUND_NB in text and FOUND not in text, text
