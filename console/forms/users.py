"""Adding staff and changing their role."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts

from console.roles import Role
from incidents.clean_text import CleanTextForm

GENERATE, CHOOSE = "generate", "choose"
ROLE_CHOICES = [(r.value, r.label) for r in Role]


def generated_password() -> str:
    return secrets.token_urlsafe(15)


class NewStaffForm(CleanTextForm, forms.Form):
    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        help_text="Letters, digits and @ . + - _ only.",
        error_messages={
            "required": "Give the account a username.",
            "invalid": "Use only letters, digits and @ . + - _ in a username.",
        },
    )
    email = forms.EmailField(required=False, max_length=254)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.EDITOR.value)
    password_mode = forms.ChoiceField(
        label="Password",
        choices=[
            (GENERATE, "Generate one, shown once on the next page"),
            (CHOOSE, "Set one myself"),
        ],
        initial=GENERATE,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        required=False,
        strip=False,
        label="Password to set (with “Set one myself”)",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=" ".join(password_validators_help_texts()),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password_mode") == CHOOSE and not data.get("password"):
            self.add_error("password", "Type the password, or let one be generated.")
        if data.get("password_mode") == GENERATE:
            data["password"] = generated_password()
        return data


class RoleForm(CleanTextForm, forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
