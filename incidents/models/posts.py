from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.incidents import Incident, IncidentStatus
from incidents.models.maintenance import Maintenance, MaintenanceStatus
from incidents.models.translations import Localized, Translatable
from statuspage.reversing import reversed_url

# Where an author splits the excerpt from the rest ("Continue reading").
MORE_MARKER = "<!--more-->"


class Category(Translatable):
    TRANSLATED_FIELDS = ("name", "description")

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reversed_url("blog_category", [self.slug])


class Tag(Translatable):
    TRANSLATED_FIELDS = ("name",)

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reversed_url("blog_tag", [self.slug])


class PostQuerySet(models.QuerySet["Post"]):
    def published(self, now: datetime | None = None) -> PostQuerySet:
        return self.filter(published_at__isnull=False, published_at__lte=now or timezone.now())

    def for_listing(self) -> PostQuerySet:
        return self.select_related("incident", "maintenance").prefetch_related("categories", "tags")


class Post(Translatable):
    TRANSLATED_FIELDS = ("title", "body")

    title = models.CharField(
        max_length=200,
        help_text="Without a state label: [Resolved], [Completed] and the like are added "
        "from the linked incident or maintenance.",
    )
    slug = models.SlugField(max_length=200, unique=True)
    body = models.TextField(help_text=f"Markdown. Put {MORE_MARKER} where the excerpt ends.")
    published_at = models.DateTimeField(null=True, blank=True, help_text="Empty for a draft.")
    categories = models.ManyToManyField(Category, related_name="posts", blank=True)
    tags = models.ManyToManyField(Tag, related_name="posts", blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    maintenance = models.ForeignKey(
        Maintenance, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Moved by every act; an edit made against an older version is refused (EditConflict).
    version = models.PositiveIntegerField(default=0, editable=False)
    # A post scheduled for later: {"channels": [...] or None} to tell once its time comes
    # (publish_due_posts); None when nothing is waiting.
    scheduled_notice = models.JSONField(null=True, blank=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["published_at"])]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reversed_url("blog_post", [self.slug])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()

    @property
    def label(self) -> str:
        """The state label shown before the title, derived from what the post is about."""
        if self.incident_id is not None and self.incident is not None:
            if self.incident.status in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM):
                return str(IncidentStatus.RESOLVED.label)
            return self.incident.get_status_display()
        if self.maintenance_id is not None and self.maintenance is not None:
            if self.maintenance.status == MaintenanceStatus.SCHEDULED:
                return ""
            return self.maintenance.get_status_display()
        return ""

    @property
    def display_title(self) -> str:
        return f"[{self.label}] {self.title}" if self.label else self.title

    @property
    def has_more(self) -> bool:
        return MORE_MARKER in self.body

    @property
    def excerpt(self) -> str:
        return self.body.split(MORE_MARKER, 1)[0]

    def localized(self, field: str, language: str | None = None) -> Localized:
        """As for any field, and the excerpt and full body of the body in that language."""
        if field not in ("excerpt", "full_body"):
            return super().localized(field, language)
        body = super().localized("body", language)
        if field == "excerpt":
            return Localized(body.split(MORE_MARKER, 1)[0], body.lang)
        return Localized(body.replace(MORE_MARKER, "", 1), body.lang)

    @property
    def full_body(self) -> str:
        return self.body.replace(MORE_MARKER, "", 1)
