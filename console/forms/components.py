"""Components and their groups: what the status page lists, and in which order."""

from __future__ import annotations

from django import forms

from incidents.clean_text import CleanTextForm
from incidents.models import ComponentGroup, ComponentStatus

UP, DOWN = "up", "down"


class ComponentForm(CleanTextForm, forms.Form):
    name = forms.CharField(max_length=100, error_messages={"required": "Give it a name."})
    description = forms.CharField(
        max_length=300, required=False, help_text="One line, shown under the name."
    )
    group = forms.ModelChoiceField(
        queryset=ComponentGroup.objects.order_by("position", "name"),
        required=False,
        empty_label="No group",
        help_text="Moving it to another group puts it last there.",
    )
    showcase = forms.BooleanField(
        required=False,
        initial=True,
        label="Show on the status page",
        help_text="Hidden components keep their status and history.",
    )
    only_show_if_degraded = forms.BooleanField(
        required=False, label="Show only while not operational"
    )


class GroupForm(CleanTextForm, forms.Form):
    name = forms.CharField(max_length=100, error_messages={"required": "Give it a name."})
    description = forms.CharField(max_length=300, required=False)


class StatusForm(CleanTextForm, forms.Form):
    status = forms.ChoiceField(choices=ComponentStatus.choices)


class MoveForm(CleanTextForm, forms.Form):
    direction = forms.ChoiceField(choices=[(UP, "Up"), (DOWN, "Down")])

    @property
    def step(self) -> int:
        return -1 if self.cleaned_data["direction"] == UP else 1
