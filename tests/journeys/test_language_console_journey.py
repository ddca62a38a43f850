"""Staff writing in two languages on the console: a saved message inserted into an incident's
Norwegian text (its own Norwegian words, the components named in Norwegian) and published to the
Norwegian page; and a blog category, kept in the Django admin, translated from its "Other
languages" link and read under its Norwegian name.

Through `make run`'s own processes: the console and the admin on the console's server, the
public pages by granian. The request-level versions: tests/console/test_translations.py,
tests/console/test_templates_in_two_languages.py and tests/i18n/test_categories_and_tags.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.conftest import PASSWORD, Staff, create_staff, sign_in
from tests.journeys.product import Product

pytestmark = [pytest.mark.browser, pytest.mark.postgres_too]

TEMPLATE = "Payments down: first notice"
TEMPLATE_TITLE = "{components} unavailable"
TEMPLATE_BODY = "UPDATE {time}: {components} cannot be reached. Next update by {next_update}."
TEMPLATE_TITLE_NB = "{components} er utilgjengelig"
TEMPLATE_BODY_NB = (
    "OPPDATERING {time}: {components} svarer ikke. Neste oppdatering innen {next_update}."
)
INCIDENT = "Card payments fail"
OPENED = "Card payments fail at the checkout. Existing subscriptions are not affected."
# What the Norwegian template becomes with Payments ("Betaling" in Norwegian) and the times.
CLOCK = r"(\d\d:\d\d) [A-Z]{3,5}"
FILLED_NB = re.compile(
    rf"^OPPDATERING {CLOCK}: Betaling svarer ikke\. Neste oppdatering innen {CLOCK}\.$"
)

CATEGORY = "Service windows"
SLUG = "service-windows"
DESCRIPTION = "When and why we work on the service."
CATEGORY_NB = "Servicevinduer"
DESCRIPTION_NB = "Når og hvorfor vi arbeider på tjenesten."


def save_template_in_two_languages(desk: Page) -> None:
    """The saved message written in English, then its Norwegian text on its translation page."""
    desk.get_by_role("navigation", name="Console").get_by_role("link", name="Templates").click()
    desk.get_by_role("link", name="New template").click()
    desk.get_by_label("Name", exact=True).fill(TEMPLATE)
    desk.get_by_label("Use", exact=True).select_option(label="Incident update")
    desk.get_by_label("Title", exact=True).fill(TEMPLATE_TITLE)
    desk.get_by_label("Body", exact=True).fill(TEMPLATE_BODY)
    desk.get_by_role("button", name="Save template").click()
    expect(desk.locator(".flash")).to_contain_text(f"Saved the template “{TEMPLATE}”.")
    desk.get_by_role("link", name=TEMPLATE, exact=True).click()
    expect(desk).to_have_url(re.compile(r"/staff/templates/\d+/$"))
    edit = desk.url
    desk.get_by_role("link", name="Add the Norwegian Bokmal text").click()
    expect(desk.locator("section[lang='en']").first).to_contain_text(TEMPLATE_TITLE)
    desk.get_by_label("Title (Norwegian Bokmal)").fill(TEMPLATE_TITLE_NB)
    desk.get_by_label("Body (Norwegian Bokmal)").fill(TEMPLATE_BODY_NB)
    desk.get_by_role("button", name="Save the Norwegian Bokmal text").click()
    expect(desk).to_have_url(edit)
    expect(desk.get_by_role("link", name="Edit the Norwegian Bokmal text")).to_be_visible()


def test_a_saved_message_goes_into_the_norwegian_text_in_norwegian_and_reaches_the_nb_page(
    product: Product, desk: Page, reader: Page
) -> None:
    sign_in(desk, create_staff(product, "saved-messages-nb", "editor"))
    save_template_in_two_languages(desk)

    # The incident written in English, Payments down, then the saved message in the Norwegian.
    desk.goto("/staff/")
    desk.get_by_role("link", name="Open an incident").first.click()
    desk.wait_for_load_state()  # htmx has wired up the Insert buttons
    form = desk.locator("#incident-form")
    form.get_by_label("Title", exact=True).fill(INCIDENT)
    form.get_by_label("Payments", exact=True).select_option("major_outage")
    form.get_by_label("Message", exact=True).fill(OPENED)
    picker = form.locator(".template-picker", has_text="Saved message in Norwegian Bokmal")
    choices = picker.get_by_label("Saved message in Norwegian Bokmal")
    # Only saved messages with a Norwegian text are offered there; the English picker has all.
    expect(choices.locator("option", has_text="DDoS: update")).to_have_count(0)
    expect(form.get_by_label("Saved message", exact=True)).to_contain_text("DDoS: update")
    choices.select_option(label=TEMPLATE)
    picker.get_by_role("button", name="Insert").click()

    norwegian = form.get_by_label("Message (Norwegian Bokmal)", exact=True)
    expect(norwegian).to_have_value(FILLED_NB)
    expect(norwegian).to_have_attribute("lang", "nb")
    filled = norwegian.input_value()
    assert "Payments" not in filled and "{" not in filled, filled
    opened_at, promised = (datetime.strptime(t, "%H:%M") for t in FILLED_NB.findall(filled)[0])
    assert (promised - opened_at) % timedelta(days=1) == timedelta(minutes=30), filled
    expect(form.get_by_label("Title (Norwegian Bokmal)")).to_have_value("Betaling er utilgjengelig")
    # The English side is as staff wrote it.
    expect(form.get_by_label("Message", exact=True)).to_have_value(OPENED)
    expect(form.get_by_label("Title", exact=True)).to_have_value(INCIDENT)
    # The markdown preview under the Norwegian field caught up with the inserted text.
    expect(form.locator("#id_body_nb_preview")).to_contain_text("Betaling svarer ikke.")

    form.get_by_role("button", name="Publish").click()
    expect(desk).to_have_url(re.compile(r"/staff/incidents/\d+/$"))
    published = re.search(r"/incidents/(\d+)/$", desk.url)
    assert published, desk.url
    incident_id = int(published[1])

    reader.goto(f"/nb/incidents/{incident_id}/")
    expect(reader.locator("html")).to_have_attribute("lang", "nb")
    expect(reader.get_by_role("heading", level=1)).to_contain_text("Betaling er utilgjengelig")
    expect(reader.locator("main")).to_contain_text(filled)
    expect(reader.locator("main")).not_to_contain_text(OPENED)
    reader.goto(f"/incidents/{incident_id}/")
    expect(reader.get_by_role("heading", level=1)).to_contain_text(INCIDENT)
    expect(reader.locator("main")).to_contain_text(OPENED)
    expect(reader.locator("main")).not_to_contain_text("Betaling svarer ikke")


def create_superuser(product: Product, username: str) -> Staff:
    """Django's own `createsuperuser`, then `create_staff --reset-2fa` to enrol a phone."""
    product.manage(
        "createsuperuser", "--no-input", "--username", username,
        "--email", f"{username}@example.org", env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )  # fmt: skip
    out = product.manage("create_staff", username, "--reset-2fa")
    match = re.search(r"Key: ([A-Z2-7=]+)", out)
    assert match, out
    return Staff(username, match[1])


def test_a_superuser_translates_a_blog_category_from_its_admin_page(
    product: Product, desk: Page, reader: Page
) -> None:
    sign_in(desk, create_superuser(product, "categories-root"))

    # A new category, added in the admin where categories are kept.
    desk.goto("/admin/")
    desk.get_by_role("link", name="Categories", exact=True).click()
    desk.get_by_role("link", name="Add category").click()
    desk.get_by_label("Name:").fill(CATEGORY)
    desk.get_by_label("Description:").fill(DESCRIPTION)
    # The admin's script writes the slug from the name once the name field is left.
    expect(desk.get_by_label("Slug:")).to_have_value(SLUG)
    desk.get_by_role("button", name="Save and continue editing").click()
    expect(desk).to_have_url(re.compile(r"/admin/incidents/category/\d+/change/$"))
    change = desk.url

    # Until translated, the Norwegian page shows the English name marked as English.
    reader.goto(f"/nb/blog/category/{SLUG}/")
    expect(reader.get_by_role("heading", level=1).locator("[lang='en']")).to_have_text(CATEGORY)

    languages = desk.locator(".field-other_languages")
    expect(languages).to_contain_text("Other languages")
    languages.get_by_role("link", name="Add the Norwegian Bokmal text").click()
    expect(desk).to_have_url(re.compile(r"/staff/translate/setup/category/\d+/\?language=nb$"))
    expect(desk.locator("section[lang='en']").first).to_contain_text(CATEGORY)
    desk.get_by_label("Name (Norwegian Bokmal)").fill(CATEGORY_NB)
    desk.get_by_label("Description (Norwegian Bokmal)").fill(DESCRIPTION_NB)
    desk.get_by_role("button", name="Save the Norwegian Bokmal text").click()

    expect(desk).to_have_url(change)
    expect(desk.locator(".messagelist")).to_contain_text("The translation is saved.")
    expect(languages.get_by_role("link", name="Edit the Norwegian Bokmal text")).to_be_visible()
    expect(desk.get_by_label("Name:")).to_have_value(CATEGORY)  # the original is untouched

    reader.reload()
    expect(reader.get_by_role("heading", level=1)).to_have_text(CATEGORY_NB)
    expect(reader.get_by_role("heading", level=1).locator("[lang='en']")).to_have_count(0)
    expect(reader.locator("main")).to_contain_text(DESCRIPTION_NB)
    expect(reader).to_have_title(re.compile(rf"^{CATEGORY_NB} · "))
    reader.goto(f"/blog/category/{SLUG}/")
    expect(reader.get_by_role("heading", level=1)).to_have_text(CATEGORY)
    expect(reader.locator("main")).not_to_contain_text(CATEGORY_NB)
