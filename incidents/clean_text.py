"""Text from staff, cleaned where it enters: the one rule for the API, the console and the admin.

Control characters are refused, not silently removed: staff see which one and where, and
what they publish is what they typed. ESC (U+001B) is the usual one, from a pasted coloured
log; XML 1.0 cannot carry it, so one of them would break the Atom and RSS feeds and every
mirror build. Tab and newline are text. A carriage return is how browsers and Windows end a
line, so it is not refused but read as a newline (CRLF and a lone CR both become LF).

Rows written before this rule (or around it) are cleaned on the way out: see
`remove_control_characters` and its use in the feeds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

# C0 except tab (09) and newline (0A), DEL, and C1. CR (0D) is listed for text that was not
# normalised first (rows already stored); the entry points turn it into LF before checking.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_REMOVABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_C0_NAMES = [
    "NUL",
    "SOH",
    "STX",
    "ETX",
    "EOT",
    "ENQ",
    "ACK",
    "BEL",
    "BS",
    "HT",
    "LF",
    "VT",
    "FF",
    "CR",
    "SO",
    "SI",
    "DLE",
    "DC1",
    "DC2",
    "DC3",
    "DC4",
    "NAK",
    "SYN",
    "ETB",
    "CAN",
    "EM",
    "SUB",
    "ESC",
    "FS",
    "GS",
    "RS",
    "US",
]
_C1_NAMES = [
    "PAD",
    "HOP",
    "BPH",
    "NBH",
    "IND",
    "NEL",
    "SSA",
    "ESA",
    "HTS",
    "HTJ",
    "VTS",
    "PLD",
    "PLU",
    "RI",
    "SS2",
    "SS3",
    "DCS",
    "PU1",
    "PU2",
    "STS",
    "CCH",
    "MW",
    "SPA",
    "EPA",
    "SOS",
    "SGC",
    "SCI",
    "CSI",
    "ST",
    "OSC",
    "PM",
    "APC",
]


def character_name(character: str) -> str:
    """ "U+001B ESC": the code point and the control character's usual abbreviation."""
    code = ord(character)
    if code < 0x20:
        name = _C0_NAMES[code]
    elif code == 0x7F:
        name = "DEL"
    elif 0x80 <= code <= 0x9F:
        name = _C1_NAMES[code - 0x80]
    else:
        name = ""
    return f"U+{code:04X} {name}".rstrip()


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def control_character_problem(text: str) -> str | None:
    """What is wrong with `text` (already newline-normalised), or None if it is clean."""
    found = CONTROL_CHARACTER.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    where = f"line {line}, column {column}" if "\n" in text else f"character {column}"
    return (
        f"Remove the control character {character_name(found[0])} at {where}: text can hold "
        "tabs and newlines but no other control characters (a pasted coloured log has them)."
    )


def cleaned(text: str) -> str:
    """`text` with its newlines normalised; ValueError naming the first control character."""
    text = normalise_newlines(text)
    if problem := control_character_problem(text):
        raise ValueError(problem)
    return text


def remove_control_characters(text: str) -> tuple[str, list[str]]:
    """(text without control characters, names of those removed): for output, not input.

    Carriage returns stay (XML and HTML read them as line ends), so clean text is untouched.
    """
    found = sorted({character_name(c) for c in _REMOVABLE.findall(text)})
    return (_REMOVABLE.sub("", text), found) if found else (text, [])


def clean_query_dict(data: Any) -> Any:
    """A copy of submitted form data with every value's newlines normalised."""
    if hasattr(data, "lists"):  # a QueryDict, whose keys may each have several values
        copy = data.copy()
        for key, values in data.lists():
            copy.setlist(key, [_normalised(value) for value in values])
        return copy
    if isinstance(data, Mapping):
        return {key: _normalised(value) for key, value in data.items()}
    return data


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_newlines(value)
    if isinstance(value, list | tuple):
        return [_normalised(item) for item in value]
    return value


class CleanTextForm(forms.BaseForm):
    """A form whose text values have LF newlines and no control characters.

    Mixed in before forms.Form or forms.ModelForm. The check runs on every string a field
    cleaned, so fields a form adds in __init__ (or later) are covered too.
    """

    def __init__(self, data: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(clean_query_dict(data), *args, **kwargs)

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound:
            return
        for name, value in list(getattr(self, "cleaned_data", {}).items()):
            if isinstance(value, str) and (problem := control_character_problem(value)):
                self.add_error(name, ValidationError(problem, code="control_character"))


class CleanTextModelForm(CleanTextForm, forms.ModelForm):
    """The admin's forms: the same rule as the console's and the API's."""
