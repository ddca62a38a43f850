"""Blog posts: drafts, edits, publishing now or at a time, unpublishing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actions.steps import Author, Channels, required_body, take_version
from actions.translations import Translations, audit_lines, publish_translations, replaced
from incidents.auditing import Snapshot, authenticated_user, record_audit, snapshot
from incidents.models import (
    Category,
    Incident,
    Maintenance,
    Post,
    Tag,
)
from notifier.ledger import record_notice
from notifier.models import NoticeKind

# Five times the longest post of the seed history; Python-Markdown's cost is linear in the
# length, and at this length the densest text renders in well under 100 ms
# (benchmarks/README.md, "Markdown worst cases").
MAX_POST_BODY = 30_000
MAX_TAG_NAME = 60


def _clean(title: str, slug: str, body: str, *, post: Post | None = None) -> tuple[str, str]:
    """The stripped title and body; raises ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "A post needs a title."
    try:
        validate_slug(slug)
    except ValidationError:
        errors["slug"] = "Use only letters, numbers, hyphens and underscores in the address."
    else:
        taken = Post.objects.filter(slug=slug)
        if post is not None:
            taken = taken.exclude(pk=post.pk)
        if taken.exists():
            errors["slug"] = f"A post with the address {slug!r} already exists."
    if len(body) > MAX_POST_BODY:
        errors["body"] = f"Keep the post under {MAX_POST_BODY:,} characters."
    if errors:
        raise ValidationError(errors)
    return title.strip(), required_body(body)


def tags_named(names: Iterable[str | Tag]) -> list[Tag]:
    """The tags with these names, creating the new ones (matched by their address)."""
    tags: dict[int, Tag] = {}
    for raw in names:
        if isinstance(raw, Tag):
            tags[raw.pk] = raw
            continue
        name = " ".join(raw.split())
        if not name:
            continue
        slug = slugify(name)
        if not slug or len(name) > MAX_TAG_NAME:
            raise ValidationError(
                {"tags": f"{name[:80]!r} cannot be a tag: use letters or numbers, at most 60."}
            )
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name=name).first()
        if tag is None:
            tag = Tag.objects.create(name=name, slug=slug)
        tags[tag.pk] = tag
    return list(tags.values())


def categories_named(pairs: Iterable[tuple[str, str]]) -> list[Category]:
    """The categories with these (slug, name) pairs, creating the new ones (an import)."""
    found: dict[int, Category] = {}
    for raw_slug, raw_name in pairs:
        name = " ".join(raw_name.split())[:60]
        slug = slugify(raw_slug or name)[:60]
        if not slug:
            continue
        category = (
            Category.objects.filter(slug=slug).first()
            or Category.objects.filter(name=name).first()
            or Category.objects.create(slug=slug, name=name or slug)
        )
        found[category.pk] = category
    return list(found.values())


def _post_snapshot(post: Post) -> Snapshot:
    return snapshot(
        post,
        categories=sorted(post.categories.values_list("name", flat=True)),
        tags=sorted(post.tags.values_list("name", flat=True)),
        **audit_lines(post.translations),
    )


def _apply_links(
    post: Post,
    categories: Iterable[Category],
    tags: Iterable[Tag | str],
    incident: Incident | None,
    maintenance: Maintenance | None,
) -> None:
    if incident is not None and maintenance is not None:
        raise ValidationError(
            {"incident": "Link the post to an incident or to a maintenance, not both."}
        )
    post.categories.set(list(categories))
    post.tags.set(tags_named(tags))


@transaction.atomic
def save_post_draft(
    *,
    title: str,
    slug: str,
    body: str,
    categories: Iterable[Category] = (),
    tags: Iterable[Tag | str] = (),
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    author: Author = None,
    translations: Translations | None = None,
) -> Post:
    """A new, unpublished post: nobody but staff sees it, nobody is told. `translations`: its
    title and body in the other languages ({"nb": {"title": ..., "body": ...}})."""
    title, body = _clean(title, slug, body)
    [texts] = publish_translations(translations, Post)
    now = timezone.now()
    post = Post.objects.create(
        title=title,
        slug=slug,
        body=body,
        translations=texts,
        published_at=None,
        incident=incident,
        maintenance=maintenance,
        author=authenticated_user(author),
        created_at=now,
        updated_at=now,
    )
    _apply_links(post, categories, tags, incident, maintenance)
    record_audit("post.drafted", post, actor=author, after=_post_snapshot(post))
    return post


@transaction.atomic
def update_post(
    post: Post,
    *,
    title: str,
    slug: str,
    body: str,
    categories: Iterable[Category] = (),
    tags: Iterable[Tag | str] = (),
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    author: Author = None,
    expected_version: int | None = None,
    translations: Translations | None = None,
) -> Post:
    """Edit a draft, scheduled or published post; a published one tells nobody again.

    `expected_version`: the version the editor loaded; if it has moved since,
    EditConflict is raised and nothing is written. `translations`: the texts in each language
    given, replacing that language's (all empty: removed); None leaves them as they are.
    """
    take_version(post, expected_version)
    post = Post.objects.select_for_update().get(pk=post.pk)
    before = _post_snapshot(post)
    post.title, post.body = _clean(title, slug, body, post=post)
    if translations is not None:
        [texts] = publish_translations(translations, Post, written_in=post.language)
        post.translations = replaced(post.translations, translations, texts)
    post.slug = slug
    post.incident, post.maintenance = incident, maintenance
    post.updated_at = timezone.now()
    post.save(
        update_fields=[
            "title",
            "slug",
            "body",
            "translations",
            "incident",
            "maintenance",
            "updated_at",
        ]
    )
    _apply_links(post, categories, tags, incident, maintenance)
    record_audit("post.edited", post, actor=author, before=before, after=_post_snapshot(post))
    return post


@transaction.atomic
def publish_draft(
    post: Post,
    *,
    at: datetime | None = None,
    author: Author = None,
    channels: Channels = None,
    expected_version: int | None = None,
) -> Post:
    """Publish a draft (or a scheduled post) now, or schedule it for `at`.

    Published now (or at a past time, to backfill), the notice goes out in
    this transaction. Scheduled, the chosen channels are kept on the post and
    publish_due_posts tells them once the time has come.
    """
    take_version(post, expected_version)
    post = Post.objects.select_for_update().get(pk=post.pk)
    before = _post_snapshot(post)
    if post.is_published:
        raise ValidationError({"published_at": "This post is already published."})
    now = timezone.now()
    at = at or now
    post.published_at = at
    post.updated_at = min(at, now)
    if at > now:
        post.scheduled_notice = {"channels": None if channels is None else list(channels)}
        action = "post.scheduled"
    else:
        post.scheduled_notice = None
        action = "post.published"
    post.save(update_fields=["published_at", "updated_at", "scheduled_notice"])
    if action == "post.published":
        record_notice(NoticeKind.POST_PUBLISHED, channels=channels, post=post)
    record_audit(action, post, actor=author, before=before, after=_post_snapshot(post))
    return post


@transaction.atomic
def unpublish_post(
    post: Post, *, author: Author = None, expected_version: int | None = None
) -> Post:
    """Take a post (published or scheduled) back to draft; notices already sent stay sent."""
    take_version(post, expected_version)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.published_at is None:
        raise ValidationError({"published_at": "This post is already a draft."})
    before = _post_snapshot(post)
    post.published_at = None
    post.scheduled_notice = None
    post.updated_at = timezone.now()
    post.save(update_fields=["published_at", "scheduled_notice", "updated_at"])
    record_audit("post.unpublished", post, actor=author, before=before, after=_post_snapshot(post))
    return post


@transaction.atomic
def delete_draft(post: Post, *, author: Author = None, expected_version: int | None = None) -> None:
    """Delete a post that was never out; one readers may have seen goes back to draft instead."""
    from notifier.models import Notice

    take_version(post, expected_version)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.published_at is not None or Notice.objects.filter(post=post).exists():
        raise ValidationError(
            "Only a draft that was never published can be deleted: take this one back to "
            "draft instead, so what was sent about it still points somewhere."
        )
    record_audit("post.deleted", post, actor=author, before=_post_snapshot(post))
    post.delete()


@transaction.atomic
def publish_due_posts(now: datetime | None = None) -> list[Post]:
    """Tell readers about scheduled posts whose time has come (run by a periodic task).

    The save also moves the publication token, so cached pages show the post.
    """
    now = now or timezone.now()
    due = list(
        Post.objects.select_for_update()
        .filter(scheduled_notice__isnull=False, published_at__lte=now)
        .order_by("published_at", "id")
    )
    for post in due:
        pending: dict[str, Any] = post.scheduled_notice or {}
        before = _post_snapshot(post)
        post.scheduled_notice = None
        post.save(update_fields=["scheduled_notice"])
        record_notice(NoticeKind.POST_PUBLISHED, channels=pending.get("channels"), post=post)
        record_audit("post.published", post, actor=None, before=before, after=_post_snapshot(post))
    return due


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
    translations: Translations | None = None,
) -> Post:
    """Write and publish a post in one go (the staff API, the demo data)."""
    published_at = published_at or timezone.now()
    title, body = _clean(title, slug, body)
    [texts] = publish_translations(translations, Post)
    post = Post.objects.create(
        title=title,
        slug=slug,
        body=body,
        translations=texts,
        published_at=published_at,
        incident=incident,
        maintenance=maintenance,
        author=authenticated_user(author),
        created_at=published_at,
        updated_at=published_at,
        scheduled_notice=None
        if published_at <= timezone.now()
        else {"channels": None if channels is None else list(channels)},
    )
    post.categories.set(list(categories))
    post.tags.set(list(tags))
    if post.scheduled_notice is None:
        record_notice(NoticeKind.POST_PUBLISHED, channels=channels, post=post)
    record_audit("post.published", post, actor=author, after=snapshot(post, **audit_lines(texts)))
    return post
