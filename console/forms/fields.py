"""What every console form shares: fields (times in the site zone, channels, components, the
markdown body), the check of a key, and putting an action's refusal on the form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from console.forms.time_tokens import validate_time_tokens
from incidents import timefmt
from incidents.models import Component, ComponentStatus
from notifier.mirror.targets import configured_targets
from notifier.models import Notice
from notifier.registry import reader_channels

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
MAX_BODY = 20_000
BODY_HELP = "Markdown. Say what happened, what you are doing, and when you will update next."
# A clock a minute or two fast on a phone must not turn "now" into "the future".
FUTURE_SLACK = timedelta(minutes=5)


def site_local(moment: datetime | None) -> str:
    return timefmt.in_zone(moment).strftime(LOCAL_INPUT_FORMAT) if moment else ""


class SiteDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read in the site's zone (Europe/Oslo: CET or CEST)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT)

    def __init__(self, *, not_in_future: bool = False, **kwargs: Any) -> None:
        self.not_in_future = not_in_future
        kwargs.setdefault("input_formats", [LOCAL_INPUT_FORMAT, "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)

    def prepare_value(self, value: object) -> object:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return site_local(value)
        return value

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value
        naive = super().to_python(value)
        if naive is None:
            return None
        naive = naive.replace(tzinfo=None)
        zone = timefmt.site_zone()
        aware = naive.replace(tzinfo=zone)
        # A time the clocks skipped (the spring change) does not exist in the zone.
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise ValidationError(
                f"{naive:%H:%M} does not exist on {naive:%d %b %Y} in {zone.key}: "
                "the clocks skip that hour."
            )
        return aware

    def validate(self, value: datetime | None) -> None:
        super().validate(value)
        if value and self.not_in_future and value > timezone.now() + FUTURE_SLACK:
            raise ValidationError(
                f"{timefmt.stamp(value)} is in the future: leave the time empty for now, "
                "or give an earlier one to backfill."
            )


def channel_choices(kind: str) -> tuple[list[tuple[str, str]], list[str], dict[str, str]]:
    """(choices, the ones that fire by default, why each off one is off) for a notice kind.

    Only the channels readers subscribe to are offered; the mirror always
    follows every publish, or the fallback site would go stale.
    """
    probe = Notice(kind=kind)
    choices, initial, off = [], [], {}
    for channel in reader_channels():
        choices.append((channel.name, channel.label))
        if not channel.is_configured():
            off[channel.name] = channel.why_off() or "Not configured."
        elif channel.fits(probe):
            initial.append(channel.name)
    return choices, initial, off


def chosen_channels(selected: list[str]) -> list[str]:
    """The selected reader channels plus every configured mirror."""
    return [*(c.name for c in configured_targets()), *selected]


class ChannelsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, kind: str, *, by_status: dict[str, str] | None = None, **kwargs: Any):
        """`by_status`: the notice kind a status chosen in the same form records instead
        (an update that resolves records "incident.resolved"), so the page's script can tick
        that kind's channels when staff pick the status."""
        choices, initial, off = channel_choices(kind)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Tell")
        super().__init__(choices=choices, initial=initial, **kwargs)
        self.labels = dict(choices)
        self.off = off
        self.defaults = {"": initial} | {
            status: channel_choices(other)[1] for status, other in (by_status or {}).items()
        }

    @property
    def defaults_json(self) -> str:
        return json.dumps(self.defaults, separators=(",", ":"))

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        for name in value:
            if name in self.off:
                raise ValidationError(f"{self.labels[name]} is off: {self.off[name]}")


NO_CHANGE = ""


class ComponentStatusField(forms.ChoiceField):
    """One component's status select: it knows its component."""

    def __init__(self, component: Component, **kwargs: Any) -> None:
        super().__init__(label=component.name, **kwargs)
        self.component = component


def component_field(form: forms.Form, name: str) -> ComponentStatusField:
    """A field component_status_fields added (form.fields is typed as holding any Field)."""
    return cast(ComponentStatusField, form.fields[name])


def component_status_fields(
    form: forms.Form, *, initial: dict[int, str] | None = None, blank_label: str = "No change"
) -> list[str]:
    """Add one status select per component to `form`; return the field names."""
    names = []
    for component in Component.objects.select_related("group").order_by(
        "group__position", "position", "name"
    ):
        name = f"component_{component.pk}"
        form.fields[name] = ComponentStatusField(
            component,
            choices=[(NO_CHANGE, blank_label), *ComponentStatus.choices],
            required=False,
            initial=(initial or {}).get(component.pk, NO_CHANGE),
        )
        names.append(name)
    return names


def component_statuses(form: forms.Form, names: list[str]) -> dict[Component, str]:
    return {
        component_field(form, name).component: form.cleaned_data[name]
        for name in names
        if form.cleaned_data.get(name)
    }


def body_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=kwargs.pop("label", "Message"),
        max_length=MAX_BODY,
        help_text=kwargs.pop("help_text", BODY_HELP),
        widget=forms.Textarea(attrs={"rows": 6, "data-markdown-preview": ""}),
        validators=[validate_time_tokens],
        error_messages={
            "required": "Write what is happening: the message cannot be empty.",
            "max_length": f"Keep the message under {MAX_BODY:,} characters.",
        },
        **kwargs,
    )


def small_pk(value: object) -> bool:
    """A primary key the database can be asked about: digits of a 64-bit size at most."""
    text = str(value).strip()
    return text.isdigit() and len(text) <= 18


def apply_errors(form: Any, error: ValidationError) -> None:
    """Put an action's ValidationError on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for name, problems in error.error_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error)
