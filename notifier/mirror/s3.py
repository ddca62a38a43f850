"""The mirror in S3-compatible object storage (AWS S3, SeaweedFS, MinIO, R2, ...), via boto3.

Objects cannot be swapped in one go, so a publish uploads in an order where
every page a reader can reach links only to what is already there: the
static assets first, then the detail pages (incidents, maintenance, posts),
then the listings (history, blog, categories), and last the status page
(index.html), the feeds, the API JSON documents and the badges. If an upload
fails half-way, readers still see the previous status page and listings.

Each object carries its Content-Type and a Cache-Control: one minute for
pages, feeds, JSON, calendars and badges; a year (immutable) for static files
with a content hash in their name (from collectstatic's manifest). A
directory page is the object `dir/index.html` and nothing else: a bucket
served as a website (S3 website hosting, or a CDN doing the same) maps
`dir/` to `dir/index.html`.

One listing of the prefix per publish gives each object's ETag (the MD5 of
its bytes): an incremental publish skips the files that are already there
unchanged (most static files). A full build uploads everything, so a change
of headers reaches every object, then deletes what the site no longer has:
the prefix belongs to the mirror. Whether there is a mirror at all is one
HEAD of `<prefix>index.html`; a full build, once in place, leaves
`<prefix>.full-build` (when it began rendering), so later builds know which
failed deliveries since then need their pages caught up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse

from notifier.channels.base import TransportError
from notifier.mirror.channel import MirrorChannel, content_type_for, os_error
from notifier.mirror.render import MirrorFile
from notifier.mirror.site import file_for, unprefixed_listing_urls

FULL_BUILD_MARK = ".full-build"
SHORT_CACHE = "public, max-age=60"
LONG_CACHE = "public, max-age=31536000, immutable"
# whitenoise's pre-compressed copies: object storage cannot negotiate encodings.
SKIPPED_SUFFIXES = (".gz", ".br")

PERMANENT_CODES = {
    "AccessDenied": "access denied: this key may not write to the bucket",
    "403": "access denied (HTTP 403): check the keys and the bucket's policy",
    "InvalidAccessKeyId": "the storage does not know MIRROR_S3_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "MIRROR_S3_SECRET_ACCESS_KEY does not match the access key",
    "NoSuchBucket": "the bucket does not exist: create it or correct MIRROR_S3_BUCKET",
    "AllAccessDisabled": "all access to the bucket is disabled",
    "InvalidBucketName": "MIRROR_S3_BUCKET is not a valid bucket name",
    "AuthorizationHeaderMalformed": "the request was signed for another region (MIRROR_S3_REGION)",
    "PermanentRedirect": "the bucket is in another region or at another endpoint",
}
TRANSIENT_CODES = {
    "SlowDown",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ExpiredToken",
}

# Upload order, by rank: what links comes after what it links to.
STATIC, DETAIL, LISTING, STATUS_PAGE, FEED, API, BADGE = range(7)


def _hashed_static_names() -> set[str]:
    """Paths (as in the mirror) of static files named by content hash, from the manifest."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    try:
        paths = json.loads(manifest.read_text())["paths"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    prefix = settings.STATIC_URL.strip("/")
    return {f"{prefix}/{hashed}" for hashed in paths.values()}


def _md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


class S3MirrorChannel(MirrorChannel):
    name = "mirror_s3"
    label = "Static mirror: S3-compatible storage"

    def is_configured(self) -> bool:
        return bool(settings.MIRROR_S3_BUCKET)

    def why_off(self) -> str:
        if self.is_configured():
            return ""
        return (
            "Set MIRROR_S3_BUCKET (with MIRROR_S3_ENDPOINT_URL for storage other than AWS, "
            "and MIRROR_S3_ACCESS_KEY_ID / MIRROR_S3_SECRET_ACCESS_KEY) to mirror to object "
            "storage."
        )

    @property
    def bucket(self) -> str:
        return settings.MIRROR_S3_BUCKET

    @property
    def prefix(self) -> str:
        prefix = settings.MIRROR_S3_PREFIX.strip("/")
        return f"{prefix}/" if prefix else ""

    @property
    def where(self) -> str:
        at = f" at {settings.MIRROR_S3_ENDPOINT_URL}" if settings.MIRROR_S3_ENDPOINT_URL else ""
        return f"s3://{self.bucket}/{self.prefix}{at}"

    # --- the channel ------------------------------------------------------------------------

    def has_build(self) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        key = f"{self.prefix}index.html"
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                return False  # no mirror yet (or no bucket: the first upload will say so)
            raise self._failure(self._explained(error), f"looking for {key}") from error
        except BotoCoreError as error:
            raise self._failure(error, f"looking for {key}") from error
        return True

    def last_full_build(self) -> datetime | None:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.prefix + FULL_BUILD_MARK
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return datetime.fromisoformat(answer["Body"].read().decode().strip())
        except ClientError as error:
            if _status(error) != 404:
                raise self._failure(error, f"reading {key}") from error
        except BotoCoreError as error:
            raise self._failure(error, f"reading {key}") from error
        except ValueError:
            pass
        # A mirror without the mark: any failed delivery may have missed it.
        return datetime.min.replace(tzinfo=UTC)

    def full_build_done(self, started: datetime) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.prefix + FULL_BUILD_MARK
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=started.isoformat().encode(),
                ContentType="text/plain; charset=utf-8",
                CacheControl="no-cache",
            )
        except (BotoCoreError, ClientError) as error:
            raise self._failure(error, f"uploading {key}") from error

    def publish(
        self,
        pages: list[MirrorFile],
        static: list[tuple[str, Path]],
        *,
        full: bool,
        keep: Collection[str] = (),
    ) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        doing = f"listing {self.prefix or 'the bucket'}"
        try:
            existing = self._existing()
            uploaded = 0
            for key, body, content_type, cache_control in self._in_order(pages, static):
                if not full and existing.get(key) == _md5(body):
                    continue  # already there, byte for byte
                doing = f"uploading {key}"
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType=content_type,
                    CacheControl=cache_control,
                )
                uploaded += 1
            if full:
                doing = "deleting what the site no longer has"
                kept = {self.prefix + path for path in keep}  # pages that failed to render
                kept |= self._keys(pages, static) | {self.prefix + FULL_BUILD_MARK}
                self._delete(set(existing) - kept)
        except (BotoCoreError, ClientError) as error:
            raise self._failure(error, doing) from error
        except OSError as error:  # a static file could not be read here
            raise os_error(f"S3 mirror {self.where}", error) from error
        return uploaded

    # --- how ------------------------------------------------------------------------------

    @cached_property
    def client(self) -> Any:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as error:
            raise TransportError(
                "S3 mirror: boto3 is not installed (pip install -r requirements.txt)",
                permanent=True,
            ) from error
        endpoint = settings.MIRROR_S3_ENDPOINT_URL or None
        config = Config(
            connect_timeout=settings.MIRROR_S3_CONNECT_TIMEOUT,
            read_timeout=settings.MIRROR_S3_READ_TIMEOUT,
            retries={"max_attempts": 2, "mode": "standard"},
            # Checksums only where the API requires them, and (below) path-style addresses
            # for other endpoints: what S3-compatible servers other than AWS understand.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            **({"s3": {"addressing_style": "path"}} if endpoint else {}),
        )
        try:
            # A session of its own: boto3's default session is not safe to share between
            # threads.
            return boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint,
                region_name=settings.MIRROR_S3_REGION,
                # Unset: boto3's own chain (environment, instance role, ~/.aws).
                aws_access_key_id=settings.MIRROR_S3_ACCESS_KEY_ID or None,
                aws_secret_access_key=settings.MIRROR_S3_SECRET_ACCESS_KEY or None,
                config=config,
            )
        except ValueError as error:  # botocore's errors about settings are ValueErrors too
            raise TransportError(
                f"S3 mirror {self.where}: cannot use these settings: {error}", permanent=True
            ) from error

    def _explained(self, error: Any) -> Any:
        """An answer to HEAD has no body, so no error code: ask again with a request that has."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except ClientError as explained:
            return explained
        except BotoCoreError:
            pass
        return error

    def _existing(self) -> dict[str, str]:
        """Every object under the prefix, with the MD5 its ETag gives (when it gives one)."""
        found: dict[str, str] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = item.get("ETag", "").strip('"')
        return found

    def _in_order(
        self, pages: list[MirrorFile], static: list[tuple[str, Path]]
    ) -> Iterator[tuple[str, bytes, str, str]]:
        """(key, body, content type, cache control), in the order that keeps links whole."""
        hashed = _hashed_static_names()
        for path, source in static:
            if not path.endswith(SKIPPED_SUFFIXES):
                cache = LONG_CACHE if path in hashed else SHORT_CACHE
                yield self.prefix + path, source.read_bytes(), content_type_for(path), cache
        rank = self._ranker()
        for page in sorted(pages, key=lambda page: rank(page.path, page.content_type)):
            yield self.prefix + page.path, page.body, page.content_type, SHORT_CACHE

    def _keys(self, pages: Iterable[MirrorFile], static: list[tuple[str, Path]]) -> set[str]:
        keys = {self.prefix + path for path, _ in static if not path.endswith(SKIPPED_SUFFIXES)}
        return keys | {self.prefix + page.path for page in pages}

    @staticmethod
    def _ranker() -> Any:
        listings = {file_for(url) for url in unprefixed_listing_urls()}
        status_page = file_for(reverse("status_page"))
        widget = file_for(reverse("widget"))  # a status summary to embed: with the badges
        # A page in another language ranks as its twin in the default one.
        prefixes = tuple(
            f"{code}/" for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
        )

        def rank(path: str, content_type: str) -> int:
            if path.startswith(prefixes):
                path = path.split("/", 1)[1]
            if path == status_page:
                return STATUS_PAGE
            if path == widget or path.endswith((".svg", ".ics")):
                return BADGE
            if path.startswith("api/"):
                return API
            if content_type.startswith("text/html"):
                return LISTING if path in listings else DETAIL
            return FEED  # Atom, RSS and JSON feeds

        return rank

    def _delete(self, keys: set[str]) -> None:
        ordered = sorted(keys)
        for start in range(0, len(ordered), 1000):  # DeleteObjects takes 1,000 at most
            chunk = ordered[start : start + 1000]
            answer = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True},
            )
            if errors := answer.get("Errors"):
                first = errors[0]
                raise TransportError(
                    f"S3 mirror {self.where}: could not delete {len(errors)} old object(s), "
                    f"e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message')}",
                    permanent=first.get("Code") in PERMANENT_CODES,
                )

    def _failure(self, error: Exception, doing: str) -> TransportError:
        from botocore.exceptions import (
            ClientError,
            NoCredentialsError,
            ParamValidationError,
            PartialCredentialsError,
        )

        where = f"S3 mirror {self.where}"
        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = _status(error)
            message = error.response.get("Error", {}).get("Message", "") or str(error)
            if code in PERMANENT_CODES:
                return TransportError(
                    f"{where}: {PERMANENT_CODES[code]} ({code}, HTTP {status}) while {doing}",
                    permanent=True,
                )
            transient = code in TRANSIENT_CODES or status is None or status >= 500
            return TransportError(
                f"{where}: {code or 'error'} (HTTP {status}) while {doing}: {message}",
                permanent=not transient,
            )
        if isinstance(error, NoCredentialsError | PartialCredentialsError):
            return TransportError(
                f"{where}: no credentials: set MIRROR_S3_ACCESS_KEY_ID and "
                f"MIRROR_S3_SECRET_ACCESS_KEY ({error})",
                permanent=True,
            )
        if isinstance(error, ParamValidationError):
            return TransportError(f"{where}: {error} while {doing}", permanent=True)
        # Unreachable endpoint, connect or read timeout, connection closed: try again later.
        return TransportError(
            f"{where}: could not reach the storage while {doing}: {error}", permanent=False
        )


def _status(error: Any) -> int | None:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
