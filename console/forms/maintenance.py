"""Scheduling a maintenance window and the acts that move it: one small form per act."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise

import actions
from actions.stock_texts import COMPLETED_TEXT, RESUMED_TEXT, STARTED_TEXT, VERIFYING_TEXT
from console.forms.fields import (
    FUTURE_SLACK,
    ChannelsField,
    SiteDateTimeField,
    body_field,
    small_pk,
)
from console.forms.translations import TranslationFields
from incidents import timefmt
from incidents.clean_text import CleanTextForm
from incidents.models import (
    LONGEST_REMINDER_MINUTES,
    Component,
    Maintenance,
    MaintenanceStatus,
    MaintenanceUpdate,
)
from notifier.models import NoticeKind

# The seeds' own structure (Runbox, December 2012): readers look for these three sections.
WORK_TO_DESCRIBE = "(Describe the work: what is replaced or upgraded, and what it improves.)"
REASON_TO_GIVE = "(Explain the reason: reliability, performance, security.)"
# A template's placeholder still in a text about to be published was meant to be replaced.
UNFILLED = re.compile(r"\{(time|next_update|components|title|window)\}")
# A note's starting text, "UPDATE 07:19 CET:", with nothing written after it yet.
STAMP_ONLY = re.compile(r"UPDATE \d\d:\d\d \w+:")
ANNOUNCEMENT = f"""\
In order to improve our email services we will perform maintenance in the window above. \
The services may be unavailable while the work takes place.

Incoming email will be queued on our servers and delivered once the work is done.

## What you can do

If you usually check your email during this time, please log on either well before or after it.
Follow the updates on this page.

## What we are doing

{WORK_TO_DESCRIBE}

## Why it is being done

{REASON_TO_GIVE}

We apologize for any inconvenience and appreciate your understanding.
"""


def check_unfilled(body: str) -> str:
    if WORK_TO_DESCRIBE in body or REASON_TO_GIVE in body:
        raise forms.ValidationError("Replace the text in parentheses with what and why.")
    if match := UNFILLED.search(body):
        raise forms.ValidationError(f"Replace {match[0]} with the real value before publishing.")
    return body


BODY_HELP = "Markdown. Readers see this under the window; keep the three sections."


class ComponentsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "invalid_choice": "There is no component %(value)s: it may have been removed. "
        "Reload the page to see the current list.",
        "invalid_pk_value": "“%(pk)s” is not a component.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "They show “Under maintenance” while the work is on.")
        super().__init__(
            queryset=Component.objects.select_related("group").order_by(
                "group__position", "position", "name"
            ),
            **kwargs,
        )

    def _check_values(self, value: Any) -> Any:
        # SQLite overflows on a 30-digit id instead of finding nothing: refuse it first.
        for pk in value:
            if not small_pk(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)  # type: ignore[misc]  # private; not in the stubs


def check_window(form: forms.Form, *, new: bool) -> None:
    """End after start and, for a window being set now, not already over or begun long ago."""
    start = form.cleaned_data.get("scheduled_start")
    end = form.cleaned_data.get("scheduled_end")
    if not start or not end:
        return
    if end <= start:
        form.add_error(
            "scheduled_end",
            f"The window must end after it starts ({timefmt.stamp(start)}).",
        )
    elif new and start < timezone.now() - FUTURE_SLACK:
        form.add_error(
            "scheduled_start",
            f"{timefmt.stamp(start)} is in the past: give a window that is still ahead.",
        )


REMINDER_ERROR = (
    f"Give the reminder as whole minutes before the start (0 to {LONGEST_REMINDER_MINUTES}), "
    "or leave it empty for no reminder."
)


def reminder_field(initial: int | None) -> forms.IntegerField:
    """Minutes before the start the subscribers are reminded; empty or 0: no reminder."""
    return forms.IntegerField(
        label="Remind subscribers (minutes before the start)",
        required=False,
        min_value=0,
        max_value=LONGEST_REMINDER_MINUTES,
        initial=initial,
        help_text="Through their channels, once. Empty or 0: no reminder.",
        error_messages={
            "invalid": REMINDER_ERROR,
            "min_value": REMINDER_ERROR,
            "max_value": REMINDER_ERROR,
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": LONGEST_REMINDER_MINUTES, "step": 1}),
    )


def posted_reminder(form: forms.Form) -> int | None:
    """The lead given, or the field's initial one when the post leaves the field out (a script
    posting only what it changes); an emptied field turns the reminder off."""
    if form.add_prefix("remind_minutes_before") not in form.data:
        return form.fields["remind_minutes_before"].initial
    return form.cleaned_data["remind_minutes_before"]


def window_fields(form: forms.Form) -> None:
    form.fields["scheduled_start"] = SiteDateTimeField(
        label="Starts", help_text=f"In {timefmt.site_zone().key} time."
    )
    form.fields["scheduled_end"] = SiteDateTimeField(
        label="Ends", help_text=f"In {timefmt.site_zone().key} time."
    )


class ScheduleForm(TranslationFields, CleanTextForm, forms.Form):
    translated = ("title", "body")
    title = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the maintenance a title readers will recognise."},
    )
    components = ComponentsField()
    body = body_field(label="Announcement", initial=ANNOUNCEMENT)
    auto_start = forms.BooleanField(required=False, initial=True, label="Start on time by itself")
    auto_complete = forms.BooleanField(
        required=False, initial=True, label="Complete at the end of the window by itself"
    )

    field_order = ["title", "components", "scheduled_start", "scheduled_end", "body"]

    def __init__(self, *args: Any, previewing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A preview shows the draft as it is; only publishing insists the blanks are filled.
        self.previewing = previewing
        window_fields(self)
        self.fields["body"].help_text = BODY_HELP
        self.fields["body"].widget.attrs["rows"] = 14
        self.fields["channels"] = ChannelsField(NoticeKind.MAINTENANCE_SCHEDULED)
        self.fields["remind_minutes_before"] = reminder_field(
            settings.MAINTENANCE_REMINDER_MINUTES or None
        )
        self.order_fields(self.field_order)
        self.add_translation_fields()

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        return body if self.previewing else check_unfilled(body)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        check_window(self, new=True)
        return data

    def schedule(self, *, author: Any, channels: list[str]) -> Maintenance:
        data = self.cleaned_data
        return actions.schedule_maintenance(
            title=data["title"],
            body=data["body"],
            scheduled_start=data["scheduled_start"],
            scheduled_end=data["scheduled_end"],
            components=data["components"],
            auto_start=data["auto_start"],
            auto_complete=data["auto_complete"],
            remind_minutes_before=posted_reminder(self),
            author=author,
            channels=channels,
            translations=self.translations(),
        )


class WindowForm(CleanTextForm, forms.Form):
    """Just the two window fields, for the live preview of the window in every zone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        window_fields(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        check_window(self, new=False)
        return data


class ActForm(TranslationFields, CleanTextForm, forms.Form):
    """One act on a maintenance window; subclasses say which action and what it needs."""

    translated = ("body",)
    kind: str = NoticeKind.MAINTENANCE_UPDATED
    body_required = True
    body_label = "Message"
    initial_body: str | Promise = ""

    action: Callable[..., MaintenanceUpdate]

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self, *args: Any, maintenance: Maintenance, previewing: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"version": maintenance.version, "body": self.initial_body})
        super().__init__(*args, **kwargs)
        self.maintenance = maintenance
        # A preview shows the draft as it is; only publishing insists the blanks are filled.
        self.previewing = previewing
        self.fields["body"] = body_field(label=self.body_label, required=self.body_required)
        self.fields["body"].widget.attrs["rows"] = 4
        self.fields["channels"] = ChannelsField(self.kind)
        self.add_translation_fields()

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        return body if self.previewing else check_unfilled(body)

    def action_kwargs(self) -> dict[str, Any]:
        return {}

    def run(self, *, author: Any, channels: list[str]) -> MaintenanceUpdate:
        return self.action(
            self.maintenance,
            body=self.cleaned_data["body"],
            author=author,
            channels=channels,
            expected_version=self.cleaned_data["version"],
            translations=self.translations(),
            **self.action_kwargs(),
        )


class StartForm(ActForm):
    kind = NoticeKind.MAINTENANCE_STARTED
    body_required = False
    initial_body = STARTED_TEXT
    action = staticmethod(actions.start_maintenance)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.maintenance.status == MaintenanceStatus.VERIFYING:
            self.initial["body"] = RESUMED_TEXT


class NoteForm(ActForm):
    action = staticmethod(actions.post_maintenance_note)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["body"] = f"UPDATE {timefmt.clock(timezone.now())}: "

    def clean_body(self) -> str:
        body = super().clean_body()
        if not self.previewing and STAMP_ONLY.fullmatch(body.strip()):
            raise forms.ValidationError("Write the note after the time stamp.")
        return body


class VerifyForm(ActForm):
    body_required = False
    initial_body = VERIFYING_TEXT
    action = staticmethod(actions.verify_maintenance)


class CompleteForm(ActForm):
    kind = NoticeKind.MAINTENANCE_COMPLETED
    body_required = False
    initial_body = COMPLETED_TEXT
    action = staticmethod(actions.complete_maintenance)


class PostponeForm(ActForm):
    kind = NoticeKind.MAINTENANCE_POSTPONED
    body_label = "Why it is postponed"
    action = staticmethod(actions.postpone_maintenance)
    initial_body = (
        "During the work we discovered a problem that must be solved first. The safest "
        "solution is to revert to the old setup and reschedule once it is done. We will "
        "inform everyone when this will occur."
    )


class RescheduleForm(ActForm):
    kind = NoticeKind.MAINTENANCE_RESCHEDULED
    body_label = "What changed"
    action = staticmethod(actions.reschedule_maintenance)
    initial_body = "The maintenance has been rescheduled to the new window above."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        window_fields(self)
        self.fields["remind_minutes_before"] = reminder_field(
            self.maintenance.remind_minutes_before
        )
        self.order_fields(["scheduled_start", "scheduled_end", "remind_minutes_before", "body"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        check_window(self, new=True)
        return data

    def action_kwargs(self) -> dict[str, datetime | int | None]:
        return {
            "scheduled_start": self.cleaned_data["scheduled_start"],
            "scheduled_end": self.cleaned_data["scheduled_end"],
            "remind_minutes_before": posted_reminder(self),
        }


class CancelForm(ActForm):
    kind = NoticeKind.MAINTENANCE_CANCELLED
    body_label = "Why it is cancelled"
    action = staticmethod(actions.cancel_maintenance)


@dataclass(frozen=True)
class Act:
    name: str
    heading: str
    button: str
    form: type[ActForm]
    # The state the act moves to; None for a note, which keeps the state.
    target: str | None
    danger: bool = False


ACTS: dict[str, Act] = {
    act.name: act
    for act in (
        Act("start", "Start now", "Start maintenance", StartForm, MaintenanceStatus.IN_PROGRESS),
        Act("note", "Post a note", "Post note", NoteForm, None),
        Act(
            "verify",
            "Verify (work done, checking it)",
            "Start verifying",
            VerifyForm,
            MaintenanceStatus.VERIFYING,
        ),
        Act(
            "complete",
            "Complete",
            "Complete maintenance",
            CompleteForm,
            MaintenanceStatus.COMPLETED,
        ),
        Act(
            "postpone",
            "Postpone (work reverted)",
            "Postpone",
            PostponeForm,
            MaintenanceStatus.POSTPONED,
        ),
        Act(
            "reschedule",
            "Reschedule to a new window",
            "Reschedule",
            RescheduleForm,
            MaintenanceStatus.RESCHEDULED,
        ),
        Act(
            "cancel", "Cancel", "Cancel maintenance", CancelForm, MaintenanceStatus.CANCELLED, True
        ),
    )
}


def allowed_acts(maintenance: Maintenance) -> list[Act]:
    """The acts the current status allows (Maintenance.TRANSITIONS); notes until it is over."""
    allowed = Maintenance.TRANSITIONS.get(maintenance.status, frozenset())
    return [
        act for act in ACTS.values() if (act.target in allowed) or (act.target is None and allowed)
    ]


def untouched(text: str) -> bool:
    """Whether a body still holds only what a form put there, so a template may replace it."""
    text = text.strip()
    defaults = {
        ANNOUNCEMENT.strip(),
        str(RESUMED_TEXT),
        *(str(act.form.initial_body) for act in ACTS.values()),
    }
    return not text or text in defaults or bool(STAMP_ONLY.fullmatch(text))


def act_form(
    act: Act, maintenance: Maintenance, data: Any = None, *, previewing: bool = False
) -> ActForm:
    return act.form(data, maintenance=maintenance, prefix=act.name, previewing=previewing)


def refreshed(form: ActForm, act: Act, maintenance: Maintenance, version: int) -> ActForm:
    """The same text on a form that now carries the current version, for a deliberate resend."""
    # A bound form here was bound to request.POST; its type says only Mapping.
    data = cast(QueryDict, form.data).copy()
    data[form.add_prefix("version")] = str(version)
    fresh = act_form(act, maintenance, data)
    fresh.is_valid()
    return fresh
