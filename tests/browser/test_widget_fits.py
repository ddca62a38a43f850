"""The README's 320x140 widget iframe shows what is happening without a scrollbar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext

from incidents.models import Impact
from tests.factories import open_incident, schedule_maintenance

# The iframe's size in the README's embedding snippet.
WIDTH, HEIGHT = 320, 140


def fits(context: BrowserContext, site: str) -> dict[str, int]:
    page = context.new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(f"{site}/widget/")
    return page.evaluate(
        "() => ({scroll: document.documentElement.scrollHeight,"
        " client: document.documentElement.clientHeight,"
        " scrollWidth: document.documentElement.scrollWidth,"
        " clientWidth: document.documentElement.clientWidth,"
        " items: document.querySelectorAll('li').length,"
        " more: document.querySelector('.more')?.textContent || ''})"
    )


@pytest.mark.parametrize("count", [3, 5])
def test_the_widget_fits_its_320x140_frame_without_a_scrollbar(context, site, count):
    now = timezone.now()
    for n in range(count - 1):
        open_incident(
            f"Logins to webmail and IMAP fail for some customers in region {n}",
            impact=Impact.MAJOR,
        )
    schedule_maintenance(
        "Replacing the storage servers of the mail database cluster",
        start=now + timedelta(days=2),
        end=now + timedelta(days=2, hours=2),
    )

    measured = fits(context, site)

    assert measured["scroll"] <= measured["client"], measured
    assert measured["scrollWidth"] <= measured["clientWidth"], measured
    assert measured["items"] == 3, measured
    if count > 3:
        assert measured["more"] == f"and {count - 3} more", measured
