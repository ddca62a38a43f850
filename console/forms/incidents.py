"""Opening an incident and posting its updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms

import actions
import actions.probes
from actions import Author, Channels
from console.forms.fields import (
    ChannelsField,
    SiteDateTimeField,
    body_field,
    component_field,
    component_status_fields,
    component_statuses,
    small_pk,
)
from console.forms.translations import TranslationFields
from incidents import timefmt
from incidents.clean_text import CleanTextForm
from incidents.models import (
    OPEN_INCIDENT_STATUSES,
    Component,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)
from notifier.models import NoticeKind

# The intervals on-call staff promise most, one tap each; minutes as the value.
PROMISE_CHOICES = [
    ("15", "15 min"),
    ("30", "30 min"),
    ("60", "1 h"),
    ("120", "2 h"),
    ("240", "4 h"),
    ("", "None"),
]


class PromiseFields(TranslationFields, CleanTextForm, forms.Form):
    """'Next update in 30 min' (one tap) or by an exact time in the site zone."""

    next_update_in = forms.ChoiceField(
        label="Next update in",
        choices=PROMISE_CHOICES,
        required=False,
        initial="",
        widget=forms.RadioSelect,
    )
    next_update_by = SiteDateTimeField(required=False, label="Or by")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timefmt.site_zone().key
        self.fields["next_update_by"].help_text = f"An exact time instead, in {zone} time."

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("next_update_in") and data.get("next_update_by"):
            self.add_error(
                "next_update_by", "Choose an interval or give a time, not both: clear one of them."
            )
        return data

    def promised_by(self) -> datetime | None:
        data = self.cleaned_data
        if data.get("next_update_by"):
            return data["next_update_by"]
        if data.get("next_update_in"):
            return actions.promise_in(int(data["next_update_in"]))
        return None


class OpenIncidentForm(PromiseFields):
    translated = ("title", "body")

    title = forms.CharField(max_length=200)
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.MINOR)
    status = forms.ChoiceField(
        choices=[(s, IncidentStatus(s).label) for s in OPEN_INCIDENT_STATUSES],
        initial=IncidentStatus.INVESTIGATING,
    )
    body = body_field()
    posted_at = SiteDateTimeField(
        required=False,
        not_in_future=True,
        label="Posted at",
        help_text="Empty for now. Fill in to backfill an earlier update.",
    )

    # The probe alert the form was opened from (its button), linked to the incident.
    alert = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.component_fields = component_status_fields(self, blank_label="Not affected")
        self.fields["channels"] = ChannelsField(NoticeKind.INCIDENT_OPENED)
        self.add_translation_fields()

    def clean_alert(self) -> int | None:
        # Hidden, so never an error staff cannot see: a value that names no alert links none.
        value = self.cleaned_data.get("alert", "")
        return int(value) if small_pk(value) else None

    def component_statuses(self) -> dict[Component, str]:
        return component_statuses(self, self.component_fields)

    def open(self, *, author: Author, channels: Channels) -> Incident:
        """The incident this valid form describes, opened (or previewed with channels=[])."""
        data = self.cleaned_data
        return actions.probes.open_incident_from_alert(
            data.get("alert"),
            title=data["title"],
            body=data["body"],
            impact=data["impact"],
            status=data["status"],
            component_statuses=self.component_statuses(),
            posted_at=data["posted_at"],
            next_update_by=self.promised_by(),
            author=author,
            channels=channels,
            translations=self.translations(),
        )


class UpdateForm(PromiseFields):
    translated = ("body",)

    status = forms.ChoiceField(choices=IncidentStatus.choices)
    body = body_field()
    posted_at = SiteDateTimeField(
        required=False,
        not_in_future=True,
        label="Posted at",
        help_text="Empty for now. Fill in to backfill an earlier update.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"status": _next_status(incident), "version": incident.version}
        )
        super().__init__(*args, **kwargs)
        self.incident = incident
        allowed = {incident.status, *Incident.TRANSITIONS[incident.status]}
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (value, label) for value, label in IncidentStatus.choices if value in allowed
        ]
        current = {row.component_id: row.status for row in incident.affected.all()}
        self.component_fields = component_status_fields(self)
        for name in self.component_fields:
            field = component_field(self, name)
            if field.component.pk in current:
                field.help_text = "Affected"
        self.fields["channels"] = ChannelsField(
            NoticeKind.INCIDENT_UPDATED,
            by_status={IncidentStatus.RESOLVED: NoticeKind.INCIDENT_RESOLVED},
        )
        self.add_translation_fields()

    def component_statuses(self) -> dict[Component, str]:
        return component_statuses(self, self.component_fields)

    def post(
        self, *, author: Author, channels: Channels, expected_version: int | None
    ) -> IncidentUpdate:
        data = self.cleaned_data
        return actions.post_incident_update(
            self.incident,
            status=data["status"],
            body=data["body"],
            component_statuses=self.component_statuses(),
            posted_at=data["posted_at"],
            next_update_by=self.promised_by(),
            author=author,
            channels=channels,
            expected_version=expected_version,
            translations=self.translations(),
        )


def _next_status(incident: Incident) -> str:
    if incident.status == IncidentStatus.RESOLVED:
        return IncidentStatus.POSTMORTEM
    return incident.status
