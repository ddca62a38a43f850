"""Blog posts in the console: drafts, edits, previews, publishing now or later, unpublishing."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

import actions
from actions.steps import EditConflict
from console.access import editor_view
from console.forms.fields import apply_errors, chosen_channels
from console.forms.posts import PostForm, VersionForm
from console.previews import preview_publish
from incidents import timefmt
from incidents.models import AuditEntry, Post
from notifier.models import Notice, NoticeKind

PUBLISH = "publish"


def _post(pk: int) -> Post:
    return get_object_or_404(Post.objects.for_listing(), pk=pk)


@editor_view
def post_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    posts = Post.objects.for_listing()
    return render(
        request,
        "console/posts/list.html",
        {
            "drafts": posts.filter(published_at__isnull=True).order_by("-updated_at", "-id"),
            "scheduled": posts.filter(published_at__gt=now).order_by("published_at", "id"),
            "published": posts.published(now)[:50],
        },
    )


def _save_and_maybe_publish(request: HttpRequest, form: PostForm, post: Post | None) -> Post:
    """Save the draft and, when asked, publish it, as one transaction: both or neither."""
    data = form.cleaned_data
    fields = {**form.post_fields(), "tags": data["tags"], "author": request.user}
    with transaction.atomic():
        if post is None:
            post = actions.save_post_draft(**fields)
        else:
            post = actions.update_post(post, **fields, expected_version=data["version"])
        if request.POST.get("intent") == PUBLISH and not post.is_published:
            post = actions.publish_draft(
                post,
                at=data["publish_at"],
                author=request.user,
                channels=chosen_channels(data["channels"]),
            )
    return post


def _saved_message(post: Post, intent: str | None) -> str:
    if intent != PUBLISH or post.published_at is None:
        return f"Saved “{post.title}”."
    if post.is_published:
        return f"Published “{post.title}”."
    return f"Scheduled “{post.title}” for {timefmt.stamp(post.published_at)}."


@editor_view
def post_new(request: HttpRequest) -> HttpResponse:
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = _save_and_maybe_publish(request, form, None)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _saved_message(post, request.POST.get("intent")))
            return redirect("console:post", post.pk)
    status = 400 if form.is_bound else 200
    return render(request, "console/posts/form.html", {"form": form}, status=status)


@editor_view
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    form = PostForm(request.POST or None, post=post)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_and_maybe_publish(request, form, post)
        except EditConflict as error:
            conflict = _conflict(post, error, form)
            form = conflict["form"]
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _saved_message(saved, request.POST.get("intent")))
            return redirect("console:post", saved.pk)
    post.refresh_from_db()
    status = 409 if conflict else 400 if form.is_bound else 200
    return render(
        request, "console/posts/form.html", _edit_context(post, form, conflict), status=status
    )


def _edit_context(post: Post, form: PostForm, conflict: dict | None) -> dict[str, Any]:
    return {
        "post": post,
        "form": form,
        "conflict": conflict,
        "version_form": VersionForm(initial={"version": post.version}),
        "notices": Notice.objects.filter(post=post)[:20],
        "audit": AuditEntry.objects.about(post)[:20],
    }


def _conflict(post: Post, error: EditConflict, form: PostForm) -> dict[str, Any]:
    """Who changed the post, and the editor's text on a form carrying the current version."""
    post.refresh_from_db()
    # A bound form here was bound to request.POST; its type says only Mapping.
    data = cast(QueryDict, form.data).copy()
    data["version"] = str(error.current_version)
    fresh = PostForm(data, post=post)
    fresh.is_valid()
    return {"entry": AuditEntry.objects.about(post).first(), "form": fresh}


@editor_view
@require_POST
def post_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again: the form was incomplete.")
        return redirect("console:post", post.pk)
    try:
        actions.unpublish_post(
            post, author=request.user, expected_version=form.cleaned_data["version"]
        )
    except EditConflict:
        messages.error(
            request,
            "The post changed while you were looking at it: nothing was done. "
            "Check it below, then unpublish again if you still want to.",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{post.title}” is a draft again; readers no longer see it.")
    return redirect("console:post", post.pk)


@editor_view
@require_POST
def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(pk)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Reload the page and try again: the form was incomplete.")
        actions.delete_draft(
            post, author=request.user, expected_version=form.cleaned_data["version"]
        )
    except EditConflict:
        messages.error(request, "The draft changed while you were looking at it: nothing was done.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Deleted the draft “{post.title}”.")
        return redirect("console:posts")
    return redirect("console:post", post.pk)


@editor_view
@require_POST
def post_preview(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The post page and the blog index entry as published, with the email subject and posts."""
    post = _post(pk) if pk is not None else None
    form = PostForm(request.POST, post=post)
    if not form.is_valid():
        return render(request, "console/posts/_preview.html", {"form_errors": form.errors})
    data = form.cleaned_data

    def act() -> dict[str, Any]:
        fields = {**form.post_fields(), "tags": data["tags"], "author": request.user}
        saved = (
            actions.update_post(post, **fields)
            if post is not None
            else actions.save_post_draft(**fields)
        )
        if not saved.is_published:
            # Shown as it will look once out, even when scheduled for later.
            saved = actions.publish_draft(saved, at=timezone.now(), channels=[])
        shown = Post.objects.for_listing().get(pk=saved.pk)
        shown.published_at = data["publish_at"] or shown.published_at
        return {"post": shown}

    preview = preview_publish(NoticeKind.POST_PUBLISHED, act, "console/posts/_entry_preview.html")
    return render(request, "console/posts/_preview.html", {"preview": preview})
