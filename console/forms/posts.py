"""Writing a blog post: the draft, its links, and when to publish it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify

from actions.posts import MAX_POST_BODY, MAX_TAG_NAME
from console.forms.fields import ChannelsField, SiteDateTimeField
from console.forms.time_tokens import validate_time_tokens
from console.forms.translations import TranslationFields, translation_initial
from incidents.clean_text import CleanTextForm
from incidents.models import MORE_MARKER, Category, Incident, Maintenance, Post, Tag
from notifier.models import NoticeKind

MAX_TAGS = 20


class LabelledChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        moment = getattr(obj, "started_at", None) or getattr(obj, "scheduled_start", None)
        return f"{obj.title} ({moment:%d %b %Y})" if moment else obj.title


class PostForm(TranslationFields, CleanTextForm, forms.Form):
    """The post itself. Publishing fields ride along: one form, Save or Publish."""

    translated = ("title", "body")

    title = forms.CharField(
        max_length=200,
        error_messages={"required": "A post needs a title."},
        help_text="Without [Resolved] and the like: they come from the linked incident.",
    )
    slug = forms.SlugField(
        max_length=200,
        required=False,
        label="Address",
        help_text="The end of /blog/…/. Empty: made from the title.",
        error_messages={
            "invalid": "Use only letters, numbers, hyphens and underscores in the address."
        },
    )
    body = forms.CharField(
        max_length=MAX_POST_BODY,
        help_text=(
            f"Markdown. Put {MORE_MARKER} on a line of its own where the excerpt ends: the blog "
            "index and feeds show what comes before it, with “Continue reading”. Without it the "
            "whole post is the excerpt."
        ),
        widget=forms.Textarea(attrs={"rows": 14, "data-markdown-preview": ""}),
        validators=[validate_time_tokens],
        error_messages={
            "required": "Write the post: the text cannot be empty.",
            "max_length": f"Keep the post under {MAX_POST_BODY:,} characters.",
        },
    )
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Separated by commas. A new name makes a new tag.",
    )
    incident = LabelledChoice(
        queryset=Incident.objects.order_by("-started_at"),
        required=False,
        label="About the incident",
        empty_label="None",
    )
    maintenance = LabelledChoice(
        queryset=Maintenance.objects.order_by("-scheduled_start"),
        required=False,
        label="About the maintenance",
        empty_label="None",
    )
    publish_at = SiteDateTimeField(
        required=False,
        label="Publish at",
        help_text="Empty for now. A later time schedules the post; an earlier one backdates it.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args: Any, post: Post | None = None, **kwargs: Any) -> None:
        if post is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": post.title,
                "slug": post.slug,
                "body": post.body,
                "categories": list(post.categories.all()),
                "tags": ", ".join(t.name for t in post.tags.all()),
                "incident": post.incident,
                "maintenance": post.maintenance,
                "publish_at": post.published_at,
                "version": post.version,
                **translation_initial(post),
            }
        super().__init__(*args, **kwargs)
        self.post = post
        self.fields["channels"] = ChannelsField(NoticeKind.POST_PUBLISHED)
        self.add_translation_fields(post.language if post is not None else None)
        if in_use := list(Tag.objects.values_list("name", flat=True)[:40]):
            self.fields["tags"].help_text += f" In use: {', '.join(in_use)}."
        self.fields["title"].widget.attrs["data-slug-source"] = ""
        self.fields["slug"].widget.attrs["data-slug-target"] = ""

    def clean_tags(self) -> list[str]:
        names = [" ".join(n.split()) for n in self.cleaned_data["tags"].split(",")]
        names = list(dict.fromkeys(n for n in names if n))
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(f"At most {MAX_TAGS} tags.")
        for name in names:
            if len(name) > MAX_TAG_NAME or not slugify(name):
                raise forms.ValidationError(
                    f"“{name[:80]}” cannot be a tag: letters or numbers, at most {MAX_TAG_NAME}."
                )
        return names

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("slug") and data.get("title"):
            data["slug"] = slugify(data["title"])[:200]
            if not data["slug"]:
                self.add_error("slug", "Give the post an address: the title has no letters in it.")
        if data.get("incident") and data.get("maintenance"):
            self.add_error(
                "maintenance", "Link the post to an incident or to a maintenance, not both."
            )
        if self.post is not None and data.get("version") is None:
            self.add_error(None, "Reload the page: this form is missing its version.")
        return data

    def post_fields(self) -> dict[str, Any]:
        """The keyword arguments save_post_draft and update_post take (tags still names)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "slug": data["slug"],
            "body": data["body"],
            "categories": data["categories"],
            "incident": data["incident"],
            "maintenance": data["maintenance"],
            "translations": self.translations(),
        }


class VersionForm(CleanTextForm, forms.Form):
    """The version an act on the whole post (unpublish, delete) was asked against."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
