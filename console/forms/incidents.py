"""Opening an incident and posting its updates."""

from __future__ import annotations

from typing import Any

from django import forms

from console.forms.fields import (
    ChannelsField,
    SiteDateTimeField,
    component_status_fields,
    component_statuses,
)
from console.forms.time_tokens import validate_time_tokens
from incidents import actions
from incidents.actions import Author, Channels
from incidents.models import (
    OPEN_INCIDENT_STATUSES,
    Component,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)
from notifier.models import NoticeKind

MAX_BODY = 20_000
BODY_HELP = "Markdown. Say what happened, what you are doing, and when you will update next."


def body_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=kwargs.pop("label", "Message"),
        max_length=MAX_BODY,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 6, "data-markdown-preview": ""}),
        validators=[validate_time_tokens],
        error_messages={
            "required": "Write what is happening: the message cannot be empty.",
            "max_length": f"Keep the message under {MAX_BODY:,} characters.",
        },
        **kwargs,
    )


class OpenIncidentForm(forms.Form):
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.component_fields = component_status_fields(self, blank_label="Not affected")
        self.fields["channels"] = ChannelsField(NoticeKind.INCIDENT_OPENED)

    def component_statuses(self) -> dict[Component, str]:
        return component_statuses(self, self.component_fields)

    def open(self, *, author: Author, channels: Channels) -> Incident:
        """The incident this valid form describes, opened (or previewed with channels=[])."""
        data = self.cleaned_data
        return actions.open_incident(
            title=data["title"],
            body=data["body"],
            impact=data["impact"],
            status=data["status"],
            component_statuses=self.component_statuses(),
            posted_at=data["posted_at"],
            author=author,
            channels=channels,
        )


class UpdateForm(forms.Form):
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
        self.fields["status"].choices = [
            (value, label) for value, label in IncidentStatus.choices if value in allowed
        ]
        current = {row.component_id: row.status for row in incident.affected.all()}
        self.component_fields = component_status_fields(self)
        for name in self.component_fields:
            field = self.fields[name]
            if field.component.pk in current:
                field.help_text = "Affected"
        self.fields["channels"] = ChannelsField(NoticeKind.INCIDENT_UPDATED)

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
            author=author,
            channels=channels,
            expected_version=expected_version,
        )


def _next_status(incident: Incident) -> str:
    if incident.status == IncidentStatus.RESOLVED:
        return IncidentStatus.POSTMORTEM
    return incident.status
