from __future__ import annotations

from django import forms

from incidents.models import Component


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Your email address",
        error_messages={
            "required": "Enter the address the notices should go to.",
            "invalid": "That does not look like an email address (name@example.com).",
        },
    )
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only these services (leave all unticked for every service)",
        error_messages={"invalid_choice": "One of the chosen services does not exist."},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["components"].queryset = Component.objects.for_status_page().filter(  # type: ignore[attr-defined]
            showcase=True
        )

    def clean_email(self) -> str:
        local, _, domain = self.cleaned_data["email"].strip().rpartition("@")
        return f"{local}@{domain.lower()}"
