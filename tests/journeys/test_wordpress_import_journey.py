"""An admin brings the old WordPress blog in: upload, review, change and skip, apply.

Then a reader finds an imported incident with its timestamped updates, and the post's old
WordPress address leads to it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.importers.wordpress_fixture import RUNBOX_WXR
from tests.journeys.conftest import create_staff, sign_in
from tests.journeys.product import Product

pytestmark = pytest.mark.browser

OLD_ADDRESS = "/2013/01/25/email-services-down-because-of-ddos/"
UNDERWAY = "#item-101"  # [Postponed] ... underway: proposed as a maintenance window
PAYMENTS = "#item-106"  # [Resolved] Problems with payment processor: proposed as an incident


def test_an_admin_imports_the_old_blog_and_old_links_keep_working(
    product: Product, desk: Page, reader: Page
) -> None:
    sign_in(desk, create_staff(product, "mover", "admin"))
    desk.get_by_role("navigation", name="Console").get_by_role("link", name="Import").click()
    expect(desk.get_by_role("heading", name="Import from WordPress")).to_be_visible()
    desk.get_by_label("WordPress export file").set_input_files(RUNBOX_WXR)
    desk.get_by_role("button", name="Upload and review").click()
    expect(desk).to_have_url(re.compile(r"/staff/imports/\d+/$"))
    ddos = desk.locator("#item-104")
    expect(ddos).to_contain_text("an incident, resolved: “Email services down because of DDoS”")
    expect(ddos).to_contain_text("Fri 25 Jan 2013, 00:45 CET [00:45 CET]")

    # The demo site already has the blog's plain posts: those are proposed skipped.
    expect(desk.locator("#item-109")).to_contain_text(
        "A post at /blog/spam-filter-upgrades-and-policies/ is already on this site"
    )
    # Change one proposal's kind and skip another; each row redraws itself (htmx).
    underway = desk.locator(UNDERWAY)
    expect(underway).to_contain_text("Will become: a maintenance window, postponed")
    underway.get_by_label("Import as").select_option("incident")
    expect(underway).to_contain_text("(changed from maintenance)")
    expect(underway).to_contain_text(
        "an incident, resolved: “Scheduled database replacement and downtime underway”"
    )
    payments = desk.locator(PAYMENTS)
    expect(payments).to_contain_text("Will become: an incident")
    payments.get_by_label("Import as").select_option("skip")
    expect(payments).to_contain_text("nothing (skipped)")

    # The choices were saved, not only drawn: they survive a reload.
    desk.reload()
    expect(desk.locator(UNDERWAY)).to_contain_text("(changed from maintenance)")
    expect(desk.locator(PAYMENTS)).to_contain_text("nothing (skipped)")
    desk.get_by_role("button", name="Apply the import").click()
    expect(desk.locator("ul.flash")).to_contain_text(
        "Imported runbox.wordpress.xml: 5 created, 5 skipped. Nobody was notified."
    )
    expect(desk).to_have_url(re.compile(r"/staff/imports/$"))

    # The reader follows a link to the old blog and lands on the incident it became.
    answer = reader.request.get(OLD_ADDRESS, max_redirects=0)
    assert answer.status == 301
    reader.goto(OLD_ADDRESS)
    expect(reader).to_have_url(re.compile(r"/incidents/\d+/$"))
    expect(reader.get_by_role("heading", level=1)).to_have_text(
        "Email services down because of DDoS"
    )
    updates = reader.locator("li.update")
    for at in ("00:45 CET", "01:45 CET", "03:45 CET"):
        expect(updates.filter(has_text=at)).to_have_count(1)
    expect(reader.locator("li.update", has_text="01:45 CET")).to_contain_text(
        "still working to block the attackers"
    )
    # The changed one is an incident now, at its old address too.
    reader.goto("/2012/12/12/scheduled-database-replacement-and-downtime-underway/")
    expect(reader).to_have_url(re.compile(r"/incidents/\d+/$"))
    expect(reader.locator("li.update", has_text="08:09 CET")).to_contain_text(
        "revert to the old server"
    )
    # A post skipped because the site had it leads to the site's own copy.
    reader.goto("/2016/01/24/spam-filter-upgrades-and-policies/")
    expect(reader).to_have_url(re.compile(r"/blog/spam-filter-upgrades-and-policies/$"))
