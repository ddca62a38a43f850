from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from incidents.models import Component

# The largest primary key the databases store (a signed 64-bit integer): a larger number
# reaches the query as an integer SQLite cannot bind (OverflowError, a 500).
LARGEST_ID = 2**63 - 1
# Names that never reach a mailbox on the internet (RFC 6761, RFC 6762, ICANN's .internal).
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".invalid", ".home.arpa")
DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
NOT_PUBLIC = (
    "Use an address on a public domain (name@example.com), not a local name or a bare IP address."
)


class ComponentChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        for choice in value or ():
            text = str(choice).strip()
            if not text.isdigit() or int(text) > LARGEST_ID:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean(value)


def is_public_domain(domain: str) -> bool:
    """A dotted name under a public top-level domain: no address literal, no local name."""
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        return False  # "localhost", "[127.0.0.1]", "[IPv6:::1]"
    if labels[-1].isdigit():
        return False  # a dotted-quad address without brackets
    return not f".{'.'.join(labels)}".endswith(PRIVATE_SUFFIXES)


class ComponentsForm(forms.Form):
    """The services a reader chooses (none: every service); every way of subscribing has it."""

    components = ComponentChoiceField(
        queryset=Component.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only these services (leave all unticked for every service)",
        error_messages={"invalid_choice": "One of the chosen services does not exist."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        components = cast(ComponentChoiceField, self.fields["components"])
        components.queryset = Component.objects.for_status_page().filter(showcase=True)

    def component_ids(self) -> tuple[int, ...]:
        return tuple(c.pk for c in self.cleaned_data["components"])


class SubscribeForm(ComponentsForm):
    email = forms.EmailField(
        max_length=254,
        label="Your email address",
        error_messages={
            "required": "Enter the address the notices should go to.",
            "invalid": "That does not look like an email address (name@example.com).",
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
