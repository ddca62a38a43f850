"""The README's "Webhooks" section, checked against the real channel: its Python example runs
verbatim on a delivery signed and POSTed by the webhook channel, and its example body has the
shape of a real one."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from notifier import dispatch
from notifier.channels.webhook import signature
from notifier.models import Delivery
from tests.notifier.expanding import write_deliveries
from tests.notifier.test_webhooks import (  # noqa: F401 - fixtures
    endpoint_for,
    imap,
    only_webhooks,
    open_ddos,
    receiver,
)

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def webhooks_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Webhooks\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def code_block(language: str) -> str:
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", webhooks_section(), re.M | re.S)
    assert len(blocks) == 1, f"expected one {language} block in the README's Webhooks section"
    return blocks[0]


def readme_verify() -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(code_block("python"), "README.md", "exec"), namespace)
    return namespace["verify_webhook"]


def test_the_readme_example_verifies_a_real_signed_delivery(receiver, imap):  # noqa: F811
    verify_webhook = readme_verify()
    endpoint = endpoint_for(receiver)
    open_ddos(imap)
    write_deliveries()
    dispatch.run([Delivery.objects.get(channel="webhook").pk])
    [received] = receiver.received
    headers, body = received.raw_headers, received.body

    assert verify_webhook(endpoint.secret, headers, body)
    assert not verify_webhook("another secret", headers, body)
    assert not verify_webhook(endpoint.secret, headers, body.replace(b"DDoS", b"DoS"))
    assert not verify_webhook(endpoint.secret, {}, body)


def test_the_readme_example_refuses_a_replayed_old_delivery(receiver, imap):  # noqa: F811
    verify_webhook = readme_verify()
    endpoint = endpoint_for(receiver)
    open_ddos(imap)
    write_deliveries()
    dispatch.run([Delivery.objects.get(channel="webhook").pk])
    body = receiver.received[0].body
    old = int(time.time()) - 3600
    replayed = {
        "X-Statuspage-Timestamp": str(old),
        "X-Statuspage-Signature": signature(endpoint.secret, old, body),
    }

    assert not verify_webhook(endpoint.secret, replayed, body)
    assert verify_webhook(endpoint.secret, replayed, body, max_age=7200)


def shape(value: object) -> object:
    """The keys of every object, and of the first item of every list, without the values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def test_the_readme_body_has_the_shape_of_a_real_one(receiver, imap):  # noqa: F811
    endpoint_for(receiver)
    open_ddos(imap)
    write_deliveries()
    dispatch.run([Delivery.objects.get(channel="webhook").pk])

    assert shape(json.loads(code_block("json"))) == shape(receiver.received[0].json)
