"""With the built-in SECRET_KEY (public, in the source) the site serves this machine only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifier.models import Subscriber
from notifier.signed_links import SubscribeRequest, confirmation_token
from statuspage.env import BUILT_IN_SECRET_KEY
from statuspage.in_process import IN_PROCESS_RENDER

pytestmark = pytest.mark.django_db


@pytest.fixture
def built_in_key(settings):
    settings.SECRET_KEY = BUILT_IN_SECRET_KEY
    settings.ALLOWED_HOSTS = ["*"]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:8000", "testserver"])
def test_loopback_is_served_as_make_run_needs(built_in_key, host):
    assert Client(HTTP_HOST=host).get("/").status_code == 200
    assert Client(HTTP_HOST=host, REMOTE_ADDR="::1").get("/").status_code == 200
    assert Client(HTTP_HOST=host, REMOTE_ADDR="::ffff:127.0.0.1").get("/").status_code == 200


@pytest.mark.parametrize(
    "request_meta",
    [
        {"HTTP_HOST": "status.example.com"},
        # A stranger reaching a server on 0.0.0.0 and naming loopback as the host.
        {"HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "203.0.113.9"},
        # Public traffic through a proxy on this machine.
        {"HTTP_HOST": "localhost", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
    ],
    ids=["public-host", "remote-peer", "proxied"],
)
def test_anything_else_is_told_to_set_secret_key(built_in_key, request_meta):
    response = Client(**request_meta).get("/")
    assert response.status_code == 400
    assert b"SECRET_KEY" in response.content


def test_a_forged_confirmation_is_refused_from_another_host(built_in_key, client):
    # Anyone can sign with the built-in key, as the source is public.
    forged = confirmation_token(SubscribeRequest("victim@example.com", ()))
    url = reverse("subscribe_confirm", args=[forged])
    response = Client(HTTP_HOST="status.example.com").post(url)
    assert response.status_code == 400
    assert b"SECRET_KEY" in response.content
    assert not Subscriber.objects.exists()


def test_the_mirror_rendered_in_a_worker_is_not_refused(built_in_key):
    client = Client(HTTP_HOST="status.example.com", **{IN_PROCESS_RENDER: True})
    assert client.get("/").status_code == 200


def test_a_key_of_its_own_serves_every_allowed_host(settings):
    settings.ALLOWED_HOSTS = ["status.example.com"]
    assert Client(HTTP_HOST="status.example.com").get("/").status_code == 200
