"""Signing in: a password, then a six-digit code from the staff member's authenticator."""

from __future__ import annotations

from django import forms

from incidents.clean_text import CleanTextForm


class TokenForm(CleanTextForm, forms.Form):
    token = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="Code from your authenticator app",
        error_messages={"invalid": "Enter the six digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "maxlength": 8,
                "pattern": r"\s*\d{6}\s*",
            }
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()
