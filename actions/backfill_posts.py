"""Posts from another site's history, written as a batch in one act.

A WordPress import brings thousands of published posts. publish_post costs a dozen
statements a post (its slug checked, its categories and tags set, the change signals); this
act checks the same rules for a whole batch and writes it in a handful of statements. It
tells nobody: a post published in the past is history, one due later waits as scheduled
with no channels, as publish_post(channels=[]) would leave it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from actions.posts import MAX_POST_BODY
from actions.steps import Author, required_body
from incidents.auditing import authenticated_user, record_audit, snapshot
from incidents.models import Category, Post, PublicationState, Tag


@dataclass(frozen=True)
class PastPost:
    title: str
    slug: str
    body: str
    published_at: datetime
    categories: Sequence[Category] = ()
    tags: Sequence[Tag] = ()
    author: Author = None


class PastPostRefused(ValidationError):
    """One post of a batch breaks a rule; `index` says which. Nothing was written."""

    def __init__(self, index: int, error: ValidationError):
        self.index = index
        super().__init__(error.messages)


def _checked(one: PastPost, taken: set[str]) -> Post:
    errors: dict[str, str] = {}
    if not one.title.strip():
        errors["title"] = "A post needs a title."
    try:
        validate_slug(one.slug)
    except ValidationError:
        errors["slug"] = "Use only letters, numbers, hyphens and underscores in the address."
    if one.slug in taken:
        errors["slug"] = f"A post with the address {one.slug!r} already exists."
    if len(one.body) > MAX_POST_BODY:
        errors["body"] = f"Keep the post under {MAX_POST_BODY:,} characters."
    if errors:
        raise ValidationError(errors)
    taken.add(one.slug)
    later = one.published_at > timezone.now()
    return Post(
        title=one.title.strip(),
        slug=one.slug,
        body=required_body(one.body),
        published_at=one.published_at,
        author=authenticated_user(one.author),
        created_at=one.published_at,
        updated_at=one.published_at,
        scheduled_notice={"channels": []} if later else None,
    )


@transaction.atomic
def backfill_posts(past: Sequence[PastPost], *, actor: Author = None) -> list[Post]:
    """Write published posts with their categories and tags; returns them in order."""
    taken = set(
        Post.objects.filter(slug__in=[one.slug for one in past]).values_list("slug", flat=True)
    )
    rows = []
    for index, one in enumerate(past):
        try:
            rows.append(_checked(one, taken))
        except ValidationError as error:
            raise PastPostRefused(index, error) from None
    posts = Post.objects.bulk_create(rows)
    Post.categories.through.objects.bulk_create(
        Post.categories.through(post_id=post.pk, category_id=category.pk)
        for post, one in zip(posts, past, strict=True)
        for category in {c.pk: c for c in one.categories}.values()
    )
    Post.tags.through.objects.bulk_create(
        Post.tags.through(post_id=post.pk, tag_id=tag.pk)
        for post, one in zip(posts, past, strict=True)
        for tag in {t.pk: t for t in one.tags}.values()
    )
    for post in posts:
        record_audit("post.imported", post, actor=actor, after=snapshot(post))
    if posts:
        PublicationState.bump()  # bulk writes send no signal
    return posts
