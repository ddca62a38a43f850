"""A component status set with no incident: Statuspage's component webhook, and nothing to people.

Statuspage sends webhook subscribers a body with "component_update" (old and new status)
and "component" instead of "incident" when a component changes on its own
(developer.statuspage.io, webhook notifications: "Component update" payload). Mail, X and
Mastodon readers hear of outages through incidents, as on Statuspage.
"""

# ruff: noqa: F811 (fixtures imported from the webhook and staff API tests)
from __future__ import annotations

import pytest

import actions
from incidents.api.serializers import ComponentTree, page_id
from incidents.models import ComponentStatus
from notifier import dispatch
from notifier.mirror.site import urls_for
from notifier.models import Delivery, Notice, NoticeKind, Subscriber
from tests.api.conftest import api, author  # noqa: F401 (fixtures)
from tests.factories import make_component, open_incident
from tests.notifier.expanding import write_deliveries
from tests.notifier.test_webhooks import (  # noqa: F401 (fixtures)
    endpoint_for,
    imap,
    only_webhooks,
    receiver,
    verify,
)

pytestmark = [pytest.mark.django_db]


def send_all(notice: Notice) -> None:
    write_deliveries()
    dispatch.run(list(notice.deliveries.filter(channel="webhook").values_list("pk", flat=True)))


def test_a_status_set_by_hand_sends_statuspages_component_update_body(receiver, imap):
    endpoint = endpoint_for(receiver)

    actions.set_component_status(imap, ComponentStatus.PARTIAL_OUTAGE)
    notice = Notice.objects.get(kind=NoticeKind.COMPONENT_UPDATED)
    send_all(notice)

    [received] = receiver.received
    assert received.headers["X-Statuspage-Event"] == "component.updated"
    assert verify(endpoint.secret, received)
    body = received.json
    assert set(body) == {"meta", "page", "component_update", "component"}
    assert body["page"] == {
        "id": page_id(),
        "status_indicator": "major",
        "status_description": "Partial System Outage",
    }
    update = body["component_update"]
    assert set(update) == {"id", "created_at", "old_status", "new_status", "component_id"}
    assert (update["old_status"], update["new_status"]) == ("operational", "partial_outage")
    assert update["component_id"] == body["component"]["id"] == f"c{imap.pk}"
    assert update["id"] == f"cu{notice.pk}"
    # The component as the public API shows it, with the status and time of the change.
    shown = ComponentTree.load().by_pk[imap.pk]
    assert body["component"] == {**shown, "updated_at": update["created_at"]}
    assert body["component"]["status"] == "partial_outage"


def test_a_retry_sent_after_a_later_change_still_describes_its_own_change(receiver, imap):
    endpoint_for(receiver)
    actions.set_component_status(imap, ComponentStatus.MAJOR_OUTAGE)
    actions.set_component_status(imap, ComponentStatus.OPERATIONAL)

    for notice in Notice.objects.filter(kind=NoticeKind.COMPONENT_UPDATED).order_by("id"):
        send_all(notice)

    outage, recovery = (r.json for r in receiver.received)
    assert (outage["component_update"]["new_status"], outage["component"]["status"]) == (
        "major_outage",
        "major_outage",
    )
    assert recovery["component_update"]["old_status"] == "major_outage"
    assert recovery["component"]["status"] == "operational"


def test_only_machines_are_told_never_subscribers_by_mail(receiver, imap, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Subscriber.objects.create(email="reader@example.com")
    endpoint_for(receiver)

    actions.set_component_status(imap, ComponentStatus.DEGRADED_PERFORMANCE)

    notice = Notice.objects.get(kind=NoticeKind.COMPONENT_UPDATED)
    write_deliveries()
    assert notice.channels == ["webhook"]
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"webhook"}
    assert (notice.component, notice.old_status, notice.new_status) == (
        imap,
        "operational",
        "degraded_performance",
    )


def test_endpoints_of_other_components_are_not_told(receiver, imap):
    smtp = make_component("SMTP")
    for_imap = endpoint_for(receiver, imap)
    endpoint_for(receiver, smtp)

    actions.set_component_status(imap, ComponentStatus.MAJOR_OUTAGE)

    notice = Notice.objects.get(kind=NoticeKind.COMPONENT_UPDATED)
    write_deliveries()
    assert list(notice.deliveries.values_list("target", flat=True)) == [str(for_imap.pk)]


def test_setting_the_same_status_again_tells_nobody(receiver, imap):
    endpoint_for(receiver)

    actions.set_component_status(imap, ComponentStatus.OPERATIONAL)

    assert not Notice.objects.exists()


def test_an_incident_that_changes_a_component_sends_the_incident_body_only(receiver, imap):
    endpoint_for(receiver)

    open_incident(components={imap: ComponentStatus.MAJOR_OUTAGE})

    assert list(Notice.objects.values_list("kind", flat=True)) == [NoticeKind.INCIDENT_OPENED]


def test_the_staff_api_patch_records_the_component_notice(api, receiver):
    component = make_component("Webmail")
    endpoint_for(receiver)

    api.call("PATCH", f"/components/c{component.pk}", {"status": "partial_outage"})

    notice = Notice.objects.get(kind=NoticeKind.COMPONENT_UPDATED)
    assert notice.component == component
    assert notice.thread_key == f"component-{component.pk}"
    assert str(notice.subject) == "Webmail"


def test_the_mirror_renews_the_summaries_and_the_components_pages_not_the_history(imap):
    actions.set_component_status(imap, ComponentStatus.MAJOR_OUTAGE)

    urls = urls_for(Notice.objects.get(kind=NoticeKind.COMPONENT_UPDATED))

    assert "/" in urls and "/widget/" in urls and "/api/v2/summary.json" in urls
    assert f"/components/{imap.pk}/feed.atom" in urls
    assert f"/components/{imap.pk}/badge.svg" in urls
    assert not any(url.startswith("/history/") for url in urls)
