"""Blog posts in the console: drafts, previews, publishing now and later, conflicts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import actions
from console.forms.fields import site_local
from incidents.models import AuditEntry, Post, Tag
from notifier.models import Notice, NoticeKind
from tests.console.conftest import make_staff
from tests.factories import (
    make_category,
    make_tag,
    open_incident,
    publish_post,
    schedule_maintenance,
)

pytestmark = pytest.mark.django_db

BODY = "We have a **new** spam filter.\n\n<!--more-->\n\nHow it works: rules and a score."


@pytest.fixture
def news(db):
    return make_category("News")


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "New spam filter",
        "slug": "",
        "body": BODY,
        "tags": "",
        "incident": "",
        "maintenance": "",
        "publish_at": "",
        "intent": "save",
        "channels": ["email", "webhook"],
    }
    data.update(overrides)
    return data


def test_a_draft_is_saved_unseen_then_published_with_a_notice(signed_in, editor, news):
    client = signed_in(editor)
    assert client.get(reverse("console:post_new")).status_code == 200
    response = client.post(
        reverse("console:post_new"),
        form_data(categories=[news.pk], tags="Spam, Filters, spam"),
    )
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:post", args=[post.pk])
    assert post.slug == "new-spam-filter"  # suggested from the title
    assert post.published_at is None and post.author == editor
    assert sorted(post.tags.values_list("name", flat=True)) == ["Filters", "Spam"]
    assert not Notice.objects.exists()
    assert client.get("/blog/new-spam-filter/").status_code == 404
    assert b"New spam filter" not in client.get("/blog/").content
    assert AuditEntry.objects.filter(action="post.drafted", actor=editor).exists()

    listing = client.get(reverse("console:posts")).content.decode()
    assert "Drafts" in listing and "New spam filter" in listing

    response = client.post(
        reverse("console:post", args=[post.pk]),
        form_data(
            categories=[news.pk],
            tags="Spam, Filters",
            slug=post.slug,
            version=post.version,
            intent="publish",
        ),
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.is_published
    notice = Notice.objects.get()
    assert notice.channels == ["email", "webhook"]
    assert notice.kind == NoticeKind.POST_PUBLISHED and notice.post == post
    entry = AuditEntry.objects.filter(action="post.published").get()
    assert entry.before["published_at"] is None and entry.after["published_at"]

    index = client.get("/blog/").content.decode()
    assert "How it works" not in index  # only the excerpt, up to the marker
    assert "Continue reading" in index and "<strong>new</strong>" in index
    page = client.get("/blog/new-spam-filter/").content.decode()
    assert "How it works: rules and a score." in page
    assert client.get(f"/blog/category/{news.slug}/").content.count(b"New spam filter") >= 1
    assert b"New spam filter" in client.get("/blog/tag/filters/").content


def test_publishing_from_the_new_form_in_one_step(signed_in, editor):
    client = signed_in(editor)
    response = client.post(reverse("console:post_new"), form_data(intent="publish"))
    assert response.status_code == 302
    assert Post.objects.get().is_published
    assert Notice.objects.filter(kind=NoticeKind.POST_PUBLISHED).count() == 1


def test_preview_shows_page_excerpt_and_subject_and_saves_nothing(signed_in, editor, news):
    incident = open_incident("Mail delays")
    client = signed_in(editor)
    before = AuditEntry.objects.count()
    response = client.post(
        reverse("console:post_new_preview"),
        form_data(categories=[news.pk], tags="Brand new tag", incident=incident.pk),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "On the blog index" in html and "Continue reading" in html
    assert "How it works: rules and a score." in html  # the full post
    assert "[Investigating]" in html or "Investigating" in html  # the label from the incident
    assert "Email subject" in html and "New spam filter" in html
    assert not Post.objects.exists()
    assert not Tag.objects.filter(name="Brand new tag").exists()
    assert not Notice.objects.filter(kind=NoticeKind.POST_PUBLISHED).exists()
    assert AuditEntry.objects.count() == before


def test_preview_of_bad_input_lists_the_problems(signed_in, editor):
    client = signed_in(editor)
    response = client.post(
        reverse("console:post_new_preview"), form_data(title=""), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "A post needs a title." in response.content.decode()


def test_scheduled_post_waits_then_goes_out_with_its_channels(signed_in, editor):
    client = signed_in(editor)
    later = timezone.now() + timedelta(hours=2)
    response = client.post(
        reverse("console:post_new"),
        form_data(intent="publish", publish_at=site_local(later), channels=[]),
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.published_at is not None and not post.is_published
    assert post.scheduled_notice == {"channels": []}
    assert not Notice.objects.exists()
    assert client.get("/blog/new-spam-filter/").status_code == 404
    listing = client.get(reverse("console:posts")).content.decode()
    assert "Goes out" in listing

    assert actions.publish_due_posts() == []  # not yet
    due = actions.publish_due_posts(now=later + timedelta(minutes=1))
    assert [p.pk for p in due] == [post.pk]
    post.refresh_from_db()
    assert post.scheduled_notice is None
    assert not Notice.objects.exists()  # the editor chose to tell no channel
    assert AuditEntry.objects.filter(action="post.published", object_id=str(post.pk)).exists()
    assert actions.publish_due_posts(now=later + timedelta(minutes=2)) == []


def test_a_due_post_with_default_channels_gets_its_notice():
    post = actions.save_post_draft(title="Later", slug="later", body="Soon.")
    at = timezone.now() + timedelta(minutes=30)
    actions.publish_draft(post, at=at)
    assert not Notice.objects.exists()
    actions.publish_due_posts(now=at)
    assert Notice.objects.get().post == post


def test_unpublish_takes_the_post_off_the_blog(signed_in, editor):
    post = publish_post("Old news", slug="old-news")
    client = signed_in(editor)
    assert client.get("/blog/old-news/").status_code == 200
    response = client.post(
        reverse("console:post_unpublish", args=[post.pk]), {"version": post.version}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.published_at is None
    assert client.get("/blog/old-news/").status_code == 404
    assert AuditEntry.objects.filter(action="post.unpublished", actor=editor).exists()


def test_unpublish_with_a_stale_version_does_nothing(signed_in, editor):
    post = publish_post("Old news", slug="old-news")
    client = signed_in(editor)
    response = client.post(
        reverse("console:post_unpublish", args=[post.pk]), {"version": post.version + 5}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.is_published
    page = client.get(reverse("console:post", args=[post.pk])).content.decode()
    assert "changed while you were looking" in page


def test_editing_a_published_post_tells_nobody_again(signed_in, editor):
    post = publish_post("Typo here", slug="typo", body="Teh text.")
    notices = Notice.objects.count()
    client = signed_in(editor)
    response = client.post(
        reverse("console:post", args=[post.pk]),
        form_data(title="No typo", slug="typo", body="The text.", version=post.version),
    )
    assert response.status_code == 302
    assert Notice.objects.count() == notices
    assert "The text." in client.get("/blog/typo/").content.decode()
    entry = AuditEntry.objects.get(action="post.edited")
    assert ("title", "Typo here", "No typo") in entry.changes()


def test_second_editor_is_told_and_keeps_their_text(signed_in, editor):
    post = actions.save_post_draft(title="Draft", slug="draft", body="First text.")
    seen = post.version
    client = signed_in(editor)
    url = reverse("console:post", args=[post.pk])
    first = client.post(url, form_data(title="Draft", slug="draft", body="A.", version=seen))
    assert first.status_code == 302
    second = client.post(
        url, form_data(title="Draft", slug="draft", body="My careful text.", version=seen)
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "changed while you were editing" in html and "My careful text." in html
    post.refresh_from_db()
    assert post.body == "A."
    version = re.search(r'name="version" value="(\d+)"', html)[1]
    third = client.post(
        url, form_data(title="Draft", slug="draft", body="My careful text.", version=version)
    )
    assert third.status_code == 302
    post.refresh_from_db()
    assert post.body == "My careful text."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "A post needs a title."),
        ({"body": "   "}, "cannot be empty"),
        ({"body": "x" * 30_001}, "Keep the post under 30,000 characters."),
        ({"slug": "not a slug!"}, "Use only letters, numbers"),
        ({"categories": ["999999"]}, "Select a valid choice"),
        ({"incident": "999999"}, "Select a valid choice"),
        ({"publish_at": "31.12.2030"}, "Enter a valid date/time"),
        ({"tags": "!!!"}, "cannot be a tag"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(signed_in, editor, overrides, message):
    client = signed_in(editor)
    response = client.post(reverse("console:post_new"), form_data(intent="publish", **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Post.objects.exists() and not Notice.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="post.").exists()


def test_a_taken_address_is_refused_without_touching_anything(signed_in, editor):
    publish_post("First", slug="new-spam-filter")
    client = signed_in(editor)
    response = client.post(reverse("console:post_new"), form_data(tags="Fresh"))
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Post.objects.count() == 1
    assert not Tag.objects.filter(name="Fresh").exists()  # the new tag went with the refusal


def test_linking_both_an_incident_and_a_maintenance_is_refused(signed_in, editor):
    incident = open_incident("Mail delays")
    work = schedule_maintenance(
        start=timezone.now() + timedelta(days=1), end=timezone.now() + timedelta(days=1, hours=1)
    )
    client = signed_in(editor)
    response = client.post(
        reverse("console:post_new"),
        form_data(incident=incident.pk, maintenance=work.pk, intent="publish"),
    )
    assert response.status_code == 400
    assert "not both" in response.content.decode()
    assert not Post.objects.exists()
    response = client.post(reverse("console:post_new"), form_data(incident=incident.pk))
    assert response.status_code == 302  # one link is fine
    assert Post.objects.get().incident == incident


def test_an_unknown_post_is_a_404(signed_in, editor):
    client = signed_in(editor)
    assert client.get(reverse("console:post", args=[424242])).status_code == 404


def test_api_and_demo_path_still_publish_at_once():
    post = publish_post("Via the API", slug="via-api")
    assert post.is_published and post.scheduled_notice is None
    assert Notice.objects.filter(post=post).exists()


def test_the_periodic_tick_puts_out_due_posts():
    from console.tasks import advance_maintenance

    post = actions.save_post_draft(title="Later", slug="later", body="Soon.")
    actions.publish_draft(post, at=timezone.now() + timedelta(hours=1))
    assert advance_maintenance() == 0
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert advance_maintenance() == 1
    assert Notice.objects.get(kind=NoticeKind.POST_PUBLISHED).post == post


@pytest.mark.parametrize("name", ["console:posts", "console:post_new", "console:post"])
def test_who_may_open_the_post_pages(client, signed_in, editor, name):
    post = actions.save_post_draft(title="Draft", slug="draft", body="Text.")
    url = reverse(name, args=[post.pk] if name == "console:post" else [])
    assert client.get(url)["Location"].startswith(reverse("console:login"))
    client.force_login(editor)  # the password alone
    assert client.get(url)["Location"].startswith(reverse("console:verify"))
    assert signed_in(editor).get(url).status_code == 200
    nobody = make_staff("nobody", None)
    assert signed_in(nobody).get(url).status_code == 403


def test_an_anonymous_publish_changes_nothing(client):
    post = actions.save_post_draft(title="Draft", slug="draft", body="Text.")
    url = reverse("console:post", args=[post.pk])
    response = client.post(url, form_data(title="Draft", slug="draft", intent="publish"))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    post.refresh_from_db()
    assert post.published_at is None and not Notice.objects.exists()


def test_a_draft_never_published_can_be_deleted(signed_in, editor):
    post = actions.save_post_draft(title="Junk", slug="junk", body="Oops.")
    client = signed_in(editor)
    page = client.get(reverse("console:post", args=[post.pk])).content.decode()
    assert "Delete the draft" in page
    url = reverse("console:post_delete", args=[post.pk])
    assert client.post(url, {"version": post.version + 1}).status_code == 302
    assert Post.objects.filter(pk=post.pk).exists()  # stale version: nothing done
    assert client.post(url, {"version": post.version})["Location"] == reverse("console:posts")
    assert not Post.objects.filter(pk=post.pk).exists()
    entry = AuditEntry.objects.get(action="post.deleted")
    assert entry.before["title"] == "Junk" and entry.actor == editor


def test_a_post_readers_were_told_about_is_never_deleted(signed_in, editor):
    post = publish_post("Told", slug="told")
    actions.unpublish_post(post)
    post.refresh_from_db()
    client = signed_in(editor)
    assert (
        "Delete the draft"
        not in client.get(reverse("console:post", args=[post.pk])).content.decode()
    )
    response = client.post(
        reverse("console:post_delete", args=[post.pk]), {"version": post.version}
    )
    assert response.status_code == 302
    assert Post.objects.filter(pk=post.pk).exists()
    assert "never published can be deleted" in client.get(response["Location"]).content.decode()


def test_the_form_names_the_tags_in_use(signed_in, editor):
    make_tag("Phishing")
    page = signed_in(editor).get(reverse("console:post_new")).content.decode()
    assert "In use: Phishing." in page
