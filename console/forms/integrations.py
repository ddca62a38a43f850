"""Webhook endpoints and API tokens (admins): what a new one is made from."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from incidents.clean_text import CleanTextForm
from incidents.models import Component, Scope
from notifier.models import validate_webhook_url


class WebhookForm(CleanTextForm, forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=500,
        validators=[validate_webhook_url],
        help_text="Where each notice is POSTed, e.g. https://hooks.example.com/status.",
        error_messages={"required": "Give the address the notices are sent to."},
        widget=forms.URLInput(attrs={"inputmode": "url", "spellcheck": "false"}),
    )
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.order_by("position", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every incident and maintenance notice.",
    )
    contact_email = forms.EmailField(
        label="Contact email",
        required=False,
        max_length=254,
        help_text="Told if the endpoint is disabled after failing.",
    )


class ApiTokenForm(CleanTextForm, forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Who or what uses it, e.g. “Nagios”.",
        error_messages={"required": "Name the token after who or what uses it."},
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one thing the token may do."},
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="Nobody",
        label="Author",
        help_text="Named as the author of what the token posts.",
    )
