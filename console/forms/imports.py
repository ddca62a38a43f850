"""Uploading a WordPress export for review (admins)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms


class WordPressUploadForm(forms.Form):
    export = forms.FileField(
        label="WordPress export file",
        help_text="The .xml file from WordPress's Tools › Export (all content or posts).",
        error_messages={"required": "Choose the export file to upload."},
    )
    zone = forms.CharField(
        label="Zone of the site's times",
        required=False,
        max_length=64,
        help_text="Only needed if the export has posts without a UTC date, e.g. Europe/Oslo.",
    )
    status_category = forms.SlugField(
        label="Status category",
        initial="status",
        max_length=60,
        help_text="The category (its slug) of posts about incidents and maintenance.",
    )

    def clean_zone(self) -> ZoneInfo | None:
        name = self.cleaned_data["zone"].strip()
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"{name!r} is not a time zone, e.g. Europe/Oslo.") from None
