"""meta.unsubscribe: a webhook registered for a subscriber carries its own link to leave.

Statuspage puts a per-subscriber unsubscribe URL in every webhook body's meta
(developer.statuspage.io, webhook notifications). Endpoints staff registered for
themselves have none (null): staff manage them in the console.
"""

# ruff: noqa: F811 (fixtures imported from the webhook tests)
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

import actions
from incidents.models import ComponentStatus
from notifier import dispatch
from notifier.models import Notice, WebhookEndpoint
from notifier.signed_links import webhook_unsubscribe_token
from tests.notifier.expanding import write_deliveries
from tests.notifier.test_webhooks import (  # noqa: F401 (fixtures)
    endpoint_for,
    imap,
    only_webhooks,
    receiver,
)

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    # The receiver is on loopback; subscriber endpoints must be public unless this allows it
    # (the guard itself is tested in test_outbound.py and test_webhook_address_guard.py).
    settings.OUTBOUND_ALLOW_LOOPBACK = True


def bodies_after_an_outage(receiver, imap) -> dict[str, dict]:
    actions.set_component_status(imap, ComponentStatus.MAJOR_OUTAGE)
    notice = Notice.objects.get()
    write_deliveries()
    dispatch.run(list(notice.deliveries.values_list("pk", flat=True)))
    return {r.path: r.json for r in receiver.received}


def test_a_subscribers_endpoint_gets_its_own_link_and_a_staff_endpoint_null(receiver, imap):
    receiver_url = receiver.url
    customer = endpoint_for(receiver, owner=WebhookEndpoint.Owner.SUBSCRIBER)
    WebhookEndpoint.objects.filter(pk=customer.pk).update(url=f"{receiver_url}customer")
    endpoint_for(receiver)  # staff's own

    bodies = bodies_after_an_outage(receiver, imap)

    link = bodies["/hooks/customer"]["meta"]["unsubscribe"]
    assert link.startswith("http://127.0.0.1:8000/webhooks/unsubscribe/")
    assert bodies["/hooks/"]["meta"]["unsubscribe"] is None


def test_the_link_shows_a_button_and_only_a_post_deletes_the_endpoint(client, receiver, imap):
    customer = endpoint_for(receiver, owner=WebhookEndpoint.Owner.SUBSCRIBER)
    link = bodies_after_an_outage(receiver, imap)["/hooks/"]["meta"]["unsubscribe"]
    path = urlsplit(link).path

    shown = client.get(path)
    assert shown.status_code == 200
    assert "<h1>Stop webhook notices</h1>" in shown.content.decode()
    assert WebhookEndpoint.objects.filter(pk=customer.pk).exists()  # a link scanner removes nothing

    removed = client.post(path)
    again = client.post(path)

    assert removed.status_code == 200
    assert "<h1>The webhook is removed</h1>" in removed.content.decode()
    assert not WebhookEndpoint.objects.filter(pk=customer.pk).exists()
    assert "<h1>Already removed</h1>" in again.content.decode()


def test_a_link_made_for_another_secret_or_a_staff_endpoint_removes_nothing(client, receiver):
    customer = endpoint_for(receiver, owner=WebhookEndpoint.Owner.SUBSCRIBER)
    staff = endpoint_for(receiver)

    forged = client.post(f"/webhooks/unsubscribe/{webhook_unsubscribe_token(customer.pk, 'x')}/")
    staffs = client.post(
        f"/webhooks/unsubscribe/{webhook_unsubscribe_token(staff.pk, staff.secret)}/"
    )

    assert "<h1>Already removed</h1>" in forged.content.decode()
    assert "<h1>Already removed</h1>" in staffs.content.decode()
    assert WebhookEndpoint.objects.count() == 2


def test_a_tampered_link_is_a_clear_400(client):
    token = webhook_unsubscribe_token(1, "secret")

    response = client.get(f"/webhooks/unsubscribe/{token[:-3]}abc/")

    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
