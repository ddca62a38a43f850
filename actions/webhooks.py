"""Staff webhook endpoints: register, disable, enable, delete; each act audited.

The secret is never written to the audit log: it is shown once, when the endpoint is made.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from actions.steps import Author
from incidents.auditing import Snapshot, record_audit, snapshot
from incidents.models import Component
from notifier.models import WebhookEndpoint


def _state(endpoint: WebhookEndpoint) -> Snapshot:
    components = sorted(endpoint.components.values_list("pk", flat=True))
    state = snapshot(endpoint, components=components)
    state.pop("secret", None)
    return state


@transaction.atomic
def register_webhook(
    *,
    url: str,
    components: Iterable[Component] = (),
    contact_email: str = "",
    author: Author = None,
) -> WebhookEndpoint:
    """A staff endpoint for the notices of `components` (none: every notice), with a new secret."""
    endpoint = WebhookEndpoint(
        url=url.strip(), contact_email=contact_email.strip(), owner=WebhookEndpoint.Owner.STAFF
    )
    endpoint.full_clean()
    endpoint.save()
    endpoint.components.set(components)
    record_audit("webhook.created", endpoint, actor=author, after=_state(endpoint))
    return endpoint


@transaction.atomic
def set_webhook_enabled(
    endpoint: WebhookEndpoint, enabled: bool, *, author: Author = None
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.is_enabled == enabled:
        return endpoint
    before = _state(endpoint)
    if enabled:
        endpoint.enable()
    else:
        who = author.get_username() if author is not None else "staff"
        endpoint.disable(f"Disabled by {who}.")
    action = "webhook.enabled" if enabled else "webhook.disabled"
    record_audit(action, endpoint, actor=author, before=before, after=_state(endpoint))
    return endpoint


@transaction.atomic
def delete_webhook(endpoint: WebhookEndpoint, *, author: Author = None) -> None:
    """Delete it; deliveries still queued for it fail with "The endpoint was deleted"."""
    record_audit("webhook.deleted", endpoint, actor=author, before=_state(endpoint))
    endpoint.delete()
