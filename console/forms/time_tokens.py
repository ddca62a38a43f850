"""Time tokens in the console: refuse a malformed one on save, warn when one disagrees
with the maintenance window it is written about."""

from __future__ import annotations

from datetime import datetime

from django import forms

from incidents import timefmt
from incidents.timetokens import TimeToken, TokenError, token_problems, tokens


def validate_time_tokens(text: str) -> None:
    """A token that is not a time would reach readers as typed: say what is wrong instead."""
    if problems := token_problems(text):
        raise forms.ValidationError(problems)


def _disagrees(token: TimeToken, start: datetime, end: datetime) -> bool:
    if token.end is not None:
        return (token.start, token.end) != (start, end)
    return not start <= token.start <= end


def window_warnings(body: str, start: datetime | None, end: datetime | None) -> list[str]:
    """Each token in `body` that states a time the window [start, end] does not have:
    a range other than the window, or a single time outside it."""
    if not body or start is None or end is None:
        return []
    disagreeing = [
        match[0]
        for match, token in tokens(body)
        if not isinstance(token, TokenError) and _disagrees(token, start, end)
    ]
    if not disagreeing:
        return []
    window, _others = timefmt.window_everywhere(start, end)
    return [f"The text gives {typed}, but the window is {window}." for typed in disagreeing]


def form_window_warnings(form: forms.Form) -> list[str]:
    """For a valid maintenance form: the window it sets, or else the window of the
    maintenance it acts on, against its body."""
    data = form.cleaned_data
    maintenance = getattr(form, "maintenance", None)
    start = data.get("scheduled_start") or getattr(maintenance, "scheduled_start", None)
    end = data.get("scheduled_end") or getattr(maintenance, "scheduled_end", None)
    return window_warnings(data.get("body", ""), start, end)
