"""What an incremental publish re-renders: few pages, and never a stale one left behind."""

from __future__ import annotations

import pytest

import actions
from incidents.models import IncidentStatus
from incidents.pages import history_keys
from notifier.mirror.site import urls_for
from notifier.models import Notice
from tests.factories import build_site, open_incident, oslo
from tests.mirror.test_local_mirror import deliver_pending, stale_pages

pytestmark = [pytest.mark.django_db]


def history_urls(notice: Notice) -> list[str]:
    return [url for url in urls_for(notice) if url.startswith("/history/")]


def test_a_new_incident_re_renders_a_few_history_pages_however_long_the_history(mirror, settings):
    settings.HISTORY_PAGE_SIZE = 2
    build_site()
    for day in range(1, 21):
        open_incident(f"Old outage {day}", at=oslo(2012, 1, day, 9, 0))
    assert {r.sent for r in deliver_pending()} == {1}
    assert history_keys().count() == 24  # the front page and 11 numbered pages

    for n in range(5):  # across numbered pages filling up and new ones starting
        incident = open_incident(f"New outage {n}")
        notice = Notice.objects.filter(incident=incident).get()
        # The front page and at most the last two numbered pages, never the older ones.
        assert len(history_urls(notice)) <= 3, history_urls(notice)
        assert "/history/page/1/" not in history_urls(notice)
        assert {r.sent for r in deliver_pending()} == {1}
        assert stale_pages(mirror) == [], n


def test_an_update_re_renders_only_the_history_page_showing_it(mirror, settings):
    settings.HISTORY_PAGE_SIZE = 2
    site = build_site()
    for day in range(1, 7):
        open_incident(f"Old outage {day}", at=oslo(2012, 1, day, 9, 0))
    deliver_pending()
    old = actions.resolve_incident(
        open_incident("Backdated", at=oslo(2012, 1, 3, 12, 0)), body="Fixed."
    ).incident
    deliver_pending()

    actions.post_incident_update(old, status=IncidentStatus.POSTMORTEM, body="Why.")
    assert history_urls(Notice.objects.latest("id")) == ["/history/page/2/"]
    actions.post_incident_update(site.active, status=IncidentStatus.MONITORING, body="Better.")
    assert history_urls(Notice.objects.latest("id")) == ["/history/"]
    assert {r.sent for r in deliver_pending()} == {1}
    assert stale_pages(mirror) == []
