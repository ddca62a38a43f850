"""Uploading a WordPress export for review, or a Statuspage or Cachet export (admins)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from importers.uploads import CACHET, SOURCES, STATUSPAGE


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

    def clean_export(self) -> UploadedFile:
        export: UploadedFile = self.cleaned_data["export"]
        if total_size(export) > settings.IMPORT_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(too_big(total_size(export)))
        return export


def total_size(*uploads: UploadedFile | None) -> int:
    return sum(upload.size or 0 for upload in uploads if upload is not None)


def too_big(size: int) -> str:
    limit = settings.IMPORT_UPLOAD_MAX_BYTES
    return (
        f"The upload is {size:,} bytes; the most accepted is {limit:,} (IMPORT_UPLOAD_MAX_BYTES)."
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(one, initial) for one in data if one]
        return [single(data, initial)] if data else []


class HistoryUploadForm(forms.Form):
    source = forms.ChoiceField(
        label="Import from",
        choices=list(SOURCES.items()),
        initial=STATUSPAGE,
        widget=forms.RadioSelect,
    )
    exports = MultipleFileField(
        label="Export files",
        required=False,
        help_text=(
            "Statuspage: its v2 JSON (summary.json, components.json, incidents.json, "
            "scheduled-maintenances.json), one or several. Cachet: one JSON file holding every "
            "list, or its API answers (components.json, incidents.json, ...) as several files."
        ),
    )
    url = forms.URLField(
        label="Or the Statuspage page's address",
        required=False,
        assume_scheme="https",
        help_text="e.g. https://status.example.com (Statuspage only; read over https).",
    )
    subscribers = forms.FileField(
        label="Subscribers CSV",
        required=False,
        help_text="Statuspage only: the subscribers export. Cachet's are in its dump.",
    )
    zone = forms.CharField(
        label="Zone of the source's times",
        required=False,
        max_length=64,
        help_text="Needed when the source writes times without a zone (Cachet), e.g. Europe/Oslo.",
    )
    keep_consent = forms.BooleanField(
        label=(
            "Keep the consent time the source records (no confirmation mail for those; "
            "SMS numbers come in only with it)"
        ),
        required=False,
    )

    clean_zone = WordPressUploadForm.clean_zone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source, files, url = data.get("source"), data.get("exports") or [], data.get("url")
        if source == STATUSPAGE and bool(files) == bool(url):
            raise forms.ValidationError("Upload the page's JSON files or give its address (one).")
        if source == CACHET:
            if not files:
                self.add_error("exports", "Choose the Cachet dump to upload.")
            if url:
                self.add_error("url", "Cachet is imported from its files; leave the address empty.")
            if data.get("subscribers"):
                self.add_error("subscribers", "Cachet's subscribers come with its dump.")
        size = total_size(*files, data.get("subscribers"))
        if size > settings.IMPORT_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(too_big(size))
        return data
