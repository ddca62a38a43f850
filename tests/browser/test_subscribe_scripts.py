"""The subscribe form's two small scripts in Chromium: the own-domain warning while typing, and
a group's "whole group" box ticking its services. Both pages work without them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from incidents.models import Component, ComponentGroup
from notifier.manage import add_contact, token_of
from notifier.models import Subscriber
from tests.browser.test_content_security_policy import assert_no_violation, watched

__all__ = ["watched"]  # the fixture, used by name

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


def test_a_reader_picks_a_whole_group_on_their_page_under_the_policy(watched, settings) -> None:
    page, errors = watched
    settings.OWN_MAIL_DOMAINS = ["runbox.com"]
    group = ComponentGroup.objects.create(name="Mail services", position=1)
    members = list(Component.objects.filter(showcase=True).order_by("pk")[:2])
    Component.objects.filter(pk__in=[m.pk for m in members]).update(group=group)
    reader = Subscriber.objects.create(email="reader@example.com")
    add_contact("sms", "+4791234567", component_ids=[], subscriber=reader)
    page.goto("/subscribe/")
    page.get_by_label("Your email address").fill("reader@runbox.com")
    assert_no_violation(page, errors)
    page.goto(reverse("manage_subscription", args=[token_of(reader)]))
    page.get_by_label("The whole group (all of Mail services)").check()
    page.get_by_role("button", name="Save my choice").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert set(reader.components.all()) == set(members)
    page.get_by_role("button", name="Remove Email reader@example.com").click()
    expect(page.get_by_role("status")).to_contain_text("Removed")
    expect(page.get_by_role("button", name="Remove and leave Sms +4791234567")).to_be_visible()
    assert_no_violation(page, errors)
