"""Console-only data: saved messages staff reuse for recurring situations."""

from __future__ import annotations

import re

from django.db import models
from django.utils import timezone

from incidents.models.translations import Translatable

PLACEHOLDER = re.compile(r"\{(\w+)\}")


class MessageTemplate(Translatable):
    TRANSLATED_FIELDS = ("title", "body")

    class Use(models.TextChoices):
        INCIDENT = "incident", "Incident update"
        MAINTENANCE = "maintenance", "Maintenance notice"
        POST = "post", "Blog post"

    name = models.CharField(max_length=100, unique=True)
    use = models.CharField(max_length=20, choices=Use.choices, default=Use.INCIDENT)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(
        help_text="Markdown. Placeholders like {time}, {components} or {next_update} are "
        "filled in from the form, or left for you to replace."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["use", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def placeholders(self) -> list[str]:
        return sorted(set(PLACEHOLDER.findall(self.title + self.body)))

    def has_text_in(self, language: str) -> bool:
        """Whether its message is written in `language`, itself or as a translation."""
        return self.localized("body", language).lang == language

    def fill(self, language: str | None = None, /, **values: str) -> tuple[str, str]:
        """Title and body in `language` (else the original) with the known placeholders
        filled; unknown ones stay visible."""

        def replace(match: re.Match[str]) -> str:
            return values.get(match[1], match[0])

        title, body = self.localized("title", language), self.localized("body", language)
        return PLACEHOLDER.sub(replace, title), PLACEHOLDER.sub(replace, body)
