"""Staff see every publish's deliveries per channel, live, and can retry the failed ones."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

import actions
from notifier.channels.email import EmailChannel
from notifier.models import Delivery, DeliveryState, Notice, Subscriber
from tests.factories import make_component

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(inbox):
    Subscriber.objects.create(email="reader@example.com")
    Subscriber.objects.create(email="gone@example.com")
    actions.open_incident(
        title="Webmail is slow",
        body="We are investigating.",
        component_statuses={make_component("Webmail"): "degraded_performance"},
    )
    notice = Notice.objects.get()
    # What a worker's expansion writes, without queueing the batches.
    EmailChannel().expand_page(notice, after=0, limit=100)
    notice.expansions.update(done_at=timezone.now())
    return notice


def test_a_mailing_list_not_yet_expanded_keeps_the_page_polling(admin_client, inbox):
    Subscriber.objects.create(email="reader@example.com")
    actions.open_incident(title="Webmail is slow", body="We are investigating.")
    notice = Notice.objects.get()

    poll = admin_client.get(
        reverse("admin:notifier_notice_deliveries", args=[notice.pk]), HTTP_HX_REQUEST="true"
    )
    assert poll.status_code == 200
    expanding = "Recipients still being added: email, slack, teams, discord, webhook."
    assert expanding in poll.content.decode()


def test_the_notice_page_counts_deliveries_and_polls_while_some_are_on_their_way(
    admin_client, notice
):
    page = admin_client.get(reverse("admin:notifier_notice_change", args=[notice.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 still on their way" in html
    assert 'data-hx-trigger="every 2s"' in html

    poll = admin_client.get(
        reverse("admin:notifier_notice_deliveries", args=[notice.pk]), HTTP_HX_REQUEST="true"
    )
    assert poll.status_code == 200
    assert "<html" not in poll.content.decode()


def test_polling_stops_when_nothing_is_left_and_failures_show_their_error(
    admin_client, notice, inbox
):
    from notifier import dispatch

    inbox.refuse.add("gone@example.com")
    dispatch.run(list(Delivery.objects.values_list("id", flat=True)))

    poll = admin_client.get(
        reverse("admin:notifier_notice_deliveries", args=[notice.pk]), HTTP_HX_REQUEST="true"
    )
    assert poll.status_code == 286  # htmx's "stop polling"
    text = poll.content.decode()
    assert "Done: nothing left to send." in text
    assert "refused the address" in text


def test_retry_failed_sends_them_again(admin_client, notice, inbox, eager_celery):
    from notifier import dispatch

    inbox.refuse.add("gone@example.com")
    dispatch.run(list(Delivery.objects.values_list("id", flat=True)))
    inbox.refuse.clear()

    response = admin_client.post(reverse("admin:notifier_notice_retry", args=[notice.pk]))
    assert response.status_code == 302
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert sorted(m["To"] for m in inbox.messages) == ["gone@example.com", "reader@example.com"]


def test_people_who_are_not_staff_cannot_see_or_retry(client, notice):
    for url in (
        reverse("admin:notifier_notice_change", args=[notice.pk]),
        reverse("admin:notifier_notice_deliveries", args=[notice.pk]),
    ):
        assert client.get(url).status_code == 302  # to the login page
    assert client.post(reverse("admin:notifier_notice_retry", args=[notice.pk])).status_code == 302
    assert not Delivery.objects.filter(state=DeliveryState.SENT).exists()


def test_staff_can_enable_a_disabled_webhook_endpoint_again(admin_client):
    from notifier.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/status",
        disabled_at=timezone.now(),
        disabled_reason="410 Gone",
        consecutive_failures=5,
    )
    response = admin_client.post(
        reverse("admin:notifier_webhookendpoint_changelist"),
        {"action": "reenable_endpoints", "_selected_action": [endpoint.pk]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_enabled and endpoint.consecutive_failures == 0
    assert endpoint.disabled_reason == ""
