"""Publishing blog posts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from incidents.actions.common import Author, Channels, required_body
from incidents.audit import record_audit, snapshot
from incidents.models import (
    Category,
    Incident,
    Maintenance,
    Post,
    Tag,
)
from notifier.ledger import record_notice
from notifier.models import NoticeKind


@transaction.atomic
def publish_post(
    *,
    title: str,
    slug: str,
    body: str,
    published_at: datetime | None = None,
    categories: Iterable[Category] = (),
    tags: Iterable[Tag] = (),
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    author: Author = None,
    channels: Channels = None,
) -> Post:
    published_at = published_at or timezone.now()
    if not title.strip():
        raise ValidationError({"title": "A post needs a title."})
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValidationError(
            {"slug": "Use only letters, numbers, hyphens and underscores in the address."}
        ) from None
    if Post.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A post with the address {slug!r} already exists."})
    post = Post.objects.create(
        title=title.strip(),
        slug=slug,
        body=required_body(body),
        published_at=published_at,
        incident=incident,
        maintenance=maintenance,
        author=author,
        created_at=published_at,
        updated_at=published_at,
    )
    post.categories.set(list(categories))
    post.tags.set(list(tags))
    if post.is_published:
        record_notice(NoticeKind.POST_PUBLISHED, channels=channels, post=post)
    record_audit("post.published", post, actor=author, after=snapshot(post))
    return post
