from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundWidget
from django.utils.translation import gettext_lazy as _

from incidents.models import Component, ComponentGroup

# The largest primary key the databases store (a signed 64-bit integer): a larger number
# reaches the query as an integer SQLite cannot bind (OverflowError, a 500).
LARGEST_ID = 2**63 - 1
# Names that never reach a mailbox on the internet (RFC 6761, RFC 6762, ICANN's .internal).
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".invalid", ".home.arpa")
DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
NOT_PUBLIC = _(
    "Use an address on a public domain (name@example.com), not a local name or a bare IP address."
)


class ComponentChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        for choice in value or ():
            text = str(choice).strip()
            if not text.isdigit() or int(text) > LARGEST_ID:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean(value)

    def label_from_instance(self, obj: Any) -> str:
        """A service or group by its name in the page's language, where staff gave one."""
        return str(obj.localized("name"))


def is_public_domain(domain: str) -> bool:
    """A dotted name under a public top-level domain: no address literal, no local name."""
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        return False  # "localhost", "[127.0.0.1]", "[IPv6:::1]"
    if labels[-1].isdigit():
        return False  # a dotted-quad address without brackets
    return not f".{'.'.join(labels)}".endswith(PRIVATE_SUFFIXES)


@dataclass(frozen=True)
class ChoiceGroup:
    """One group's checkboxes in the fieldset: the whole group's box, then its components'."""

    group: ComponentGroup | None  # None: the components in no group
    whole: BoundWidget | None
    choices: list[BoundWidget]


class ComponentsForm(forms.Form):
    """The services a reader chooses (none: every service); every way of subscribing has it.

    A group's "whole group" box stands for each of its components (on the page when saved).
    """

    components = ComponentChoiceField(
        queryset=Component.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Only these services (leave all unticked for every service)"),
        error_messages={"invalid_choice": _("One of the chosen services does not exist.")},
    )
    groups = ComponentChoiceField(
        queryset=ComponentGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("The whole group"),
        error_messages={"invalid_choice": _("One of the chosen groups does not exist.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown = Component.objects.for_status_page().filter(showcase=True)
        cast(ComponentChoiceField, self.fields["components"]).queryset = self.shown
        groups = ComponentGroup.objects.filter(pk__in=self.shown.values("group_id"))
        cast(ComponentChoiceField, self.fields["groups"]).queryset = groups.order_by(
            "position", "name"
        )

    @classmethod
    def showing(cls, component_ids: Iterable[int]) -> ComponentsForm:
        """An unbound form with these components ticked, and each group all of whose are."""
        form = cls()
        chosen = set(component_ids)
        members: dict[int, set[int]] = {}
        for pk, group_id in form.shown.exclude(group=None).values_list("pk", "group_id"):
            members.setdefault(group_id, set()).add(pk)
        form.initial = {
            "components": sorted(chosen),
            "groups": [group for group, pks in members.items() if pks <= chosen],
        }
        return form

    def component_ids(self) -> tuple[int, ...]:
        """The chosen components and every component of the chosen groups, each once."""
        chosen = {c.pk: None for c in self.cleaned_data["components"]}
        groups = [g.pk for g in self.cleaned_data.get("groups") or ()]
        if groups:
            members = self.shown.filter(group_id__in=groups).values_list("pk", flat=True)
            chosen.update(dict.fromkeys(members))
        return tuple(chosen)

    def grouped_choices(self) -> list[ChoiceGroup]:
        """The checkboxes in the status page's order: ungrouped components first."""
        wholes = {int(str(w.data["value"])): w for w in self["groups"]}
        by_group: dict[int | None, list[BoundWidget]] = {}
        groups: dict[int, ComponentGroup] = {}
        for choice in self["components"]:
            component = choice.data["value"].instance
            by_group.setdefault(component.group_id, []).append(choice)
            if component.group is not None:
                groups[component.group_id] = component.group
        return [
            ChoiceGroup(
                groups.get(key) if key is not None else None,
                wholes.get(key) if key is not None else None,
                choices,
            )
            for key, choices in by_group.items()
        ]


class SubscribeForm(ComponentsForm):
    email = forms.EmailField(
        max_length=254,
        label=_("Your email address"),
        error_messages={
            "required": _("Enter the address the notices should go to."),
            "invalid": _("That does not look like an email address (name@example.com)."),
        },
    )
    field_order = ["email", "components"]

    def clean_email(self) -> str:
        local, _, domain = self.cleaned_data["email"].strip().rpartition("@")
        # IDNs arrive as Unicode; the check is on their ASCII form.
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_domain = domain
        if not is_public_domain(ascii_domain):
            raise ValidationError(NOT_PUBLIC, code="not_public")
        return f"{local}@{domain.lower()}"
