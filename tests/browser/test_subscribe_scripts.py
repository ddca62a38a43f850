"""The subscribe form's two small scripts in Chromium: the own-domain warning while typing, and
a group's "whole group" box ticking its services. Both pages work without them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from incidents.models import Component, ComponentGroup

pytestmark = pytest.mark.browser


def test_the_warning_shows_while_an_address_of_ours_is_typed(page: Page, settings) -> None:
    settings.OWN_MAIL_DOMAINS = ["runbox.com"]
    page.goto("/subscribe/")
    warning = page.locator("#own-domain-warning")
    field = page.get_by_label("Your email address")
    expect(warning).to_be_hidden()
    field.fill("reader@mail.runbox.com")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("may not arrive during a mail outage")
    field.fill("reader@example.com")
    expect(warning).to_be_hidden()


def test_ticking_a_whole_group_ticks_its_services_and_unticking_one_unticks_it(
    page: Page,
) -> None:
    group = ComponentGroup.objects.create(name="Mail services", position=1)
    members = list(Component.objects.filter(showcase=True).order_by("pk")[:2])
    Component.objects.filter(pk__in=[m.pk for m in members]).update(group=group)
    page.goto("/subscribe/")
    whole = page.get_by_label("The whole group (all of Mail services)")
    boxes = [page.get_by_label(m.name, exact=True) for m in members]
    whole.check()
    for box in boxes:
        expect(box).to_be_checked()
    boxes[0].uncheck()
    expect(whole).not_to_be_checked()
    boxes[0].check()
    expect(whole).to_be_checked()
