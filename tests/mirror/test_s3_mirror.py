"""The mirror's S3 target: a real S3-compatible server (SeaweedFS on loopback) receives the site.

The objects are read back with boto3, as any reader of the bucket would: bytes, Content-Type,
Cache-Control. Faults: an endpoint that is down (transient, then it works), wrong keys and a
missing bucket (permanent, said plainly); the objects already there stay as they were. With the
local, rsync and S3 targets all configured, one failing does not stop the others.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError
from django.core import mail

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch
from notifier.mirror.s3 import LONG_CACHE, SHORT_CACHE, S3MirrorChannel
from notifier.models import Delivery, DeliveryState
from tests.factories import make_component, open_incident
from tests.servers.postgres import free_port
from tests.servers.seaweedfs import SeaweedS3
from tests.servers.sshd import SshServer

pytestmark = [pytest.mark.django_db]

BUCKET = "status-mirror"
NEWS = "Logins work again; we are watching the IMAP servers."
HTML = "text/html; charset=utf-8"


@pytest.fixture(scope="module")
def seaweed() -> Iterator[SeaweedS3]:
    with SeaweedS3() as server:
        server.create_bucket(BUCKET)
        yield server


@dataclass
class Bucket:
    """The mirror's objects, read as a reader of the bucket would."""

    client: Any
    prefix: str

    def get(self, path: str) -> dict[str, Any]:
        answer = self.client.get_object(Bucket=BUCKET, Key=self.prefix + path)
        return {
            "body": answer["Body"].read(),
            "type": answer["ContentType"],
            "cache": answer.get("CacheControl"),
            "etag": answer["ETag"],
            "modified": answer["LastModified"],
        }

    def objects(self) -> dict[str, tuple[str, Any]]:
        """Every object under the prefix: its path, ETag and time."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=self.prefix
        )
        return {
            item["Key"].removeprefix(self.prefix): (item["ETag"], item["LastModified"])
            for page in pages
            for item in page.get("Contents", [])
        }


@pytest.fixture
def bucket(settings, seaweed: SeaweedS3, tmp_path: Path) -> Bucket:
    """MIRROR_S3_* aimed at the server, under a prefix of this test's own; other channels off."""
    prefix = f"mirror-{uuid.uuid4().hex[:8]}/"
    settings.MIRROR_S3_BUCKET = BUCKET
    settings.MIRROR_S3_PREFIX = prefix
    settings.MIRROR_S3_ENDPOINT_URL = seaweed.endpoint_url
    settings.MIRROR_S3_REGION = "us-east-1"
    settings.MIRROR_S3_ACCESS_KEY_ID = seaweed.access_key
    settings.MIRROR_S3_SECRET_ACCESS_KEY = seaweed.secret_key
    settings.MIRROR_S3_CONNECT_TIMEOUT = 2
    settings.MIRROR_S3_READ_TIMEOUT = 10
    settings.MIRROR_LOCAL_DIR = settings.MIRROR_RSYNC_TARGET = ""
    settings.VAR_DIR = tmp_path
    settings.STATIC_ROOT = str(tmp_path / "no-collectstatic")
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return Bucket(seaweed.client(), prefix)


def delivery_of(incident: Incident, channel: str = "mirror_s3") -> Delivery:
    return Delivery.objects.filter(notice__incident=incident, channel=channel).latest("id")


def send(delivery: Delivery) -> Delivery:
    dispatch.run([delivery.pk])
    return Delivery.objects.get(pk=delivery.pk)


def post_news(incident: Incident) -> Delivery:
    actions.post_incident_update(incident, status=IncidentStatus.MONITORING, body=NEWS)
    return delivery_of(incident)


@pytest.fixture
def published(bucket: Bucket) -> Incident:
    """An incident opened and mirrored (the first publish: a full build)."""
    imap = make_component("IMAP")
    incident = open_incident("IMAP logins failing", components={imap: ComponentStatus.MAJOR_OUTAGE})
    delivery = send(delivery_of(incident))
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    return incident


def recorded_uploads(channel: S3MirrorChannel) -> list[str]:
    """The keys the channel uploads, in order, as the client sends them."""
    keys: list[str] = []
    channel.client.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: keys.append(params["Key"])
    )
    return keys


def test_a_publish_uploads_the_site_with_types_and_cache_headers_then_only_changes(
    bucket, published
):
    assert delivery_of(published).reference.endswith("(full build)")
    page = f"incidents/{published.pk}/index.html"
    expected = {
        "index.html": HTML,
        page: HTML,
        "404.html": HTML,
        "feed.atom": "application/atom+xml; charset=utf-8",
        "feed.rss": "application/rss+xml; charset=utf-8",
        "api/v2/summary.json": "application/json",
        "maintenance.ics": "text/calendar; charset=utf-8",
        "badge.svg": "image/svg+xml; charset=utf-8",
        "static/css/site.css": "text/css",
    }
    for path, content_type in expected.items():
        got = bucket.get(path)
        assert got["type"].replace(" ", "") == content_type.replace(" ", ""), path
        assert got["cache"] == SHORT_CACHE, path  # nothing here has a hashed name
    assert b"IMAP logins failing" in bucket.get("index.html")["body"]
    summary = json.loads(bucket.get("api/v2/summary.json")["body"])
    assert [i["name"] for i in summary["incidents"]] == ["IMAP logins failing"]
    assert not any(key.endswith("/") for key in bucket.objects())  # dir/index.html only
    assert ".full-build" in bucket.objects()

    other = open_incident("Webmail slow")
    assert send(delivery_of(other)).state == DeliveryState.SENT
    before = bucket.objects()

    second = send(post_news(published))

    assert second.state == DeliveryState.SENT, second.last_error
    assert second.reference.endswith("(incremental)")
    after = bucket.objects()
    for path in ("index.html", page, "feed.atom", "api/v2/summary.json"):
        assert after[path][0] != before[path][0], path
        assert NEWS.encode() in bucket.get(path)["body"], path
    unchanged = f"incidents/{other.pk}/index.html"
    assert after[unchanged] == before[unchanged]
    assert after["static/css/site.css"] == before["static/css/site.css"]
    assert int(second.reference.split()[0]) < len(before) / 2


def group(path: str) -> int:
    """Where a file belongs in the upload order (worked out here, apart from the channel); a
    Norwegian page where its English twin does."""
    path = path.removeprefix("nb/")
    if path.startswith("static/"):
        return 0
    if path.startswith("incidents/") or path == "404.html":
        return 1  # detail pages
    if path.startswith("components/") and path.endswith(".html"):
        return 2  # a component's page lists its incidents: a listing
    if path.startswith(("history/", "blog/")):
        return 2  # listings
    if path == "index.html":
        return 3  # the status page
    if path.endswith(("feed.atom", "feed.rss", "feed.json")):
        return 4
    if path.startswith("api/"):
        return 5
    if path.endswith((".svg", ".ics")) or path.startswith("widget/"):
        return 6  # badges, the widget, the calendar
    if path == ".full-build":
        return 7  # once everything is in place
    raise AssertionError(f"no group for {path}")


def test_uploads_go_static_details_listings_then_status_feeds_api_and_badges(bucket, published):
    channel = S3MirrorChannel()
    uploads = recorded_uploads(channel)

    channel.build(full=True)

    paths = [key.removeprefix(bucket.prefix) for key in uploads]
    groups = [group(path) for path in paths]
    assert groups == sorted(groups), paths
    assert set(groups) == set(range(8))
    assert paths.index("index.html") < paths.index("feed.atom") < paths.index("api/v2/summary.json")

    # An incremental publish skips what the bucket already has byte for byte.
    uploads.clear()
    actions.post_incident_update(published, status=IncidentStatus.MONITORING, body=NEWS)
    notice = delivery_of(published).notice
    channel.build(full=False, notice=notice)

    paths = [key.removeprefix(bucket.prefix) for key in uploads]
    assert "index.html" in paths and f"incidents/{published.pk}/index.html" in paths
    assert not [p for p in paths if p.startswith("static/")]
    assert "404.html" not in paths
    groups = [group(path) for path in paths]
    assert groups == sorted(groups), paths


def test_hashed_static_files_are_cached_for_a_year_and_a_full_build_removes_leftovers(
    bucket, published, settings, tmp_path
):
    static = tmp_path / "collected"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body{}")
    (static / "css" / "site.0123456789ab.css").write_text("body{}")
    (static / "css" / "site.0123456789ab.css.gz").write_bytes(b"\x1f\x8b")
    (static / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/site.css": "css/site.0123456789ab.css"}})
    )
    settings.STATIC_ROOT = str(static)
    leftover = f"{bucket.prefix}incidents/999/index.html"
    bucket.client.put_object(Bucket=BUCKET, Key=leftover, Body=b"gone")

    S3MirrorChannel().build(full=True)

    assert bucket.get("static/css/site.0123456789ab.css")["cache"] == LONG_CACHE
    assert bucket.get("static/css/site.css")["cache"] == SHORT_CACHE
    objects = bucket.objects()
    assert "static/css/site.0123456789ab.css.gz" not in objects  # S3 cannot negotiate encodings
    assert "incidents/999/index.html" not in objects
    assert "static/js/localtime.js" not in objects  # not in this STATIC_ROOT any more
    assert "index.html" in objects


def test_an_unreachable_endpoint_is_retried_and_the_mirror_is_sent_when_it_is_back(
    bucket, published, settings, seaweed
):
    before = bucket.objects()
    settings.MIRROR_S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens

    delivery = send(post_news(published))

    assert delivery.state == DeliveryState.RETRYING
    assert "could not reach the storage" in delivery.last_error
    assert settings.MIRROR_S3_ENDPOINT_URL in delivery.last_error
    assert bucket.objects() == before

    settings.MIRROR_S3_ENDPOINT_URL = seaweed.endpoint_url  # the storage is back
    delivery = send(delivery)
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert NEWS.encode() in bucket.get("index.html")["body"]


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        (
            "MIRROR_S3_SECRET_ACCESS_KEY",
            "not-the-secret",
            "MIRROR_S3_SECRET_ACCESS_KEY does not match the access key (SignatureDoesNotMatch",
        ),
        (
            "MIRROR_S3_ACCESS_KEY_ID",
            "NOSUCHKEY",
            "the storage does not know MIRROR_S3_ACCESS_KEY_ID (InvalidAccessKeyId",
        ),
        (
            "MIRROR_S3_BUCKET",
            "no-such-bucket",
            "the bucket does not exist: create it or correct MIRROR_S3_BUCKET (NoSuchBucket",
        ),
    ],
)
def test_wrong_keys_or_bucket_fail_for_good_and_leave_the_mirror_as_it_was(
    bucket, published, settings, setting, value, says
):
    before = bucket.objects()
    right = getattr(settings, setting)
    setattr(settings, setting, value)

    delivery = send(post_news(published))

    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert says in delivery.last_error
    assert delivery.last_error.startswith(f"S3 mirror s3://{settings.MIRROR_S3_BUCKET}/")
    assert bucket.objects() == before

    # Mended: the next publish also brings the pages of the notice given up on.
    setattr(settings, setting, right)
    later = send(delivery_of(open_incident("Webmail slow")))
    assert later.reference.endswith("(incremental, 1 missed caught up)"), later.reference
    assert NEWS.encode() in bucket.get(f"incidents/{published.pk}/index.html")["body"]


def client_error(code: str, status: int) -> ClientError:
    response = {"Error": {"Code": code, "Message": "said the server"}}
    return ClientError({**response, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (client_error("AccessDenied", 403), True),
        (client_error("InvalidAccessKeyId", 403), True),
        (client_error("SignatureDoesNotMatch", 403), True),
        (client_error("NoSuchBucket", 404), True),
        (client_error("SlowDown", 503), False),
        (client_error("InternalError", 500), False),
        (client_error("ServiceUnavailable", 503), False),
        (client_error("BadGateway", 502), False),
        (client_error("RequestTimeout", 400), False),
        (client_error("EntityTooLarge", 400), True),
        (EndpointConnectionError(endpoint_url="http://s3.example.test"), False),
        (ConnectTimeoutError(endpoint_url="http://s3.example.test"), False),
    ],
)
def test_error_codes_decide_retry_or_give_up(error, permanent, settings):
    settings.MIRROR_S3_BUCKET = "mirror"
    failure = S3MirrorChannel()._failure(error, "uploading index.html")
    assert failure.permanent is permanent
    assert "uploading index.html" in str(failure)


@pytest.fixture(scope="module")
def sshd() -> Iterator[SshServer]:
    with SshServer() as server:
        yield server


def test_with_every_target_configured_one_failing_stops_none_of_the_others(
    bucket, settings, sshd, tmp_path
):
    settings.MIRROR_LOCAL_DIR = str(tmp_path / "local")
    remote = tmp_path / "remote"
    settings.MIRROR_RSYNC_TARGET = sshd.target(remote)
    settings.MIRROR_RSYNC_SSH_KEY = str(sshd.client_key)
    settings.MIRROR_RSYNC_PORT = sshd.port
    settings.MIRROR_RSYNC_KNOWN_HOSTS = str(sshd.known_hosts)
    settings.MIRROR_RSYNC_TIMEOUT = 5
    settings.MIRROR_S3_SECRET_ACCESS_KEY = "not-the-secret"

    incident = open_incident("IMAP logins failing")

    deliveries = Delivery.objects.filter(notice__incident=incident).order_by("id")
    assert [d.channel for d in deliveries] == ["mirror_local", "mirror_rsync", "mirror_s3"]
    # The failing target goes first: the others do not wait for it or share its fate.
    states = {
        d.channel: send(d) for d in sorted(deliveries, key=lambda d: d.channel != "mirror_s3")
    }
    assert states["mirror_s3"].state == DeliveryState.FAILED
    assert "SignatureDoesNotMatch" in states["mirror_s3"].last_error
    assert states["mirror_local"].state == DeliveryState.SENT
    assert states["mirror_rsync"].state == DeliveryState.SENT
    for index in (tmp_path / "local" / "current" / "index.html", remote / "index.html"):
        assert b"IMAP logins failing" in index.read_bytes()
    assert bucket.objects() == {}


def test_a_status_set_alone_reaches_the_bucket_at_the_next_refresh(bucket, published):
    from notifier.mirror.tasks import refresh_mirrors

    refresh_mirrors()  # the first tick after the first publish: the mirror is current
    imap = published.affected.get().component
    actions.set_component_status(imap, ComponentStatus.PARTIAL_OUTAGE)
    assert b"Partial outage" not in bucket.get("index.html")["body"]

    assert refresh_mirrors()["mirror_s3"].endswith("(refresh)")

    assert b"Partial outage" in bucket.get("index.html")["body"]
    assert refresh_mirrors() == {"mirror_s3": ""}  # nothing changed since


def test_a_full_build_keeps_the_last_good_copy_of_a_page_that_fails_to_render(
    bucket, published, broken
):
    incidents, _templates = broken
    page = f"incidents/{published.pk}/index.html"
    old = bucket.get(page)["body"]
    incidents.add(published.pk)
    actions.post_incident_update(published, status=IncidentStatus.MONITORING, body=NEWS)

    outcome = S3MirrorChannel().build(full=True)

    url = f"/{page.removesuffix('index.html')}"
    assert outcome.endswith(f"2 pages could not be rendered: {url} /nb{url}")  # each language
    assert bucket.get(page)["body"] == old  # not deleted as something the site no longer has
    assert NEWS.encode() in bucket.get("index.html")["body"]
