"""Request bodies, declared once: parsed from requests and written into the OpenAPI document.

A body is a JSON object of named fields; each field type knows its JSON
Schema and how to turn a JSON value into what the actions take, or raise
BadInput naming the field. Unknown fields are refused, so a typo
("stauts") is a 400, not a silently ignored wish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incidents.clean_text import cleaned
from incidents.models.translations import other_languages, site_language
from incidents.timetokens import token_problems

# Far enough for any real window, near enough that every offset converts without overflow.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


class BadInput(ValueError):
    """A request the API refuses with 400; `field` names the culprit (a dotted path)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise BadInput(where, "Give a string.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(where, "Text must be valid Unicode (no lone surrogates).") from None
    try:
        return cleaned(value)
    except ValueError as problem:
        raise BadInput(where, str(problem)) from None


class Type:
    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, value: object, where: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Type):
    max_length: int
    min_length: int = 0
    pattern: str | None = None

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.pattern:
            schema["pattern"] = f"^{self.pattern}$"
        return schema

    def parse(self, value: object, where: str) -> str:
        text = _text(value, where)
        if len(text) > self.max_length:
            raise BadInput(where, f"At most {self.max_length} characters.")
        if len(text) < self.min_length:
            raise BadInput(where, f"At least {self.min_length} characters.")
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise BadInput(where, f"Does not match {self.pattern}.")
        return text


@dataclass(frozen=True)
class Markdown(Text):
    """Text readers see rendered: each of its time tokens must be a time."""

    def parse(self, value: object, where: str) -> str:
        text = super().parse(value, where)
        if problems := token_problems(text):
            raise BadInput(where, " ".join(problems))
        return text


@dataclass(frozen=True)
class Choice(Type):
    values: tuple[str, ...]

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}

    def parse(self, value: object, where: str) -> str:
        if value not in self.values:
            raise BadInput(where, f"Use one of: {', '.join(self.values)}.")
        return str(value)


class Boolean(Type):
    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def parse(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise BadInput(where, "Give true or false.")
        return value


@dataclass(frozen=True)
class Integer(Type):
    minimum: int
    maximum: int

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}

    def parse(self, value: object, where: str) -> int:
        # JSON's true is Python's 1, and 30.0 is no whole number as the schema means it.
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadInput(where, "Give a whole number.")
        if not self.minimum <= value <= self.maximum:
            raise BadInput(where, f"Give a number from {self.minimum} to {self.maximum}.")
        return value


class Moment(Type):
    """An ISO 8601 date and time with its offset ("2012-12-20T06:30:00+01:00")."""

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    def parse(self, value: object, where: str) -> datetime:
        text = _text(value, where)
        try:
            moment = datetime.fromisoformat(text.upper())  # RFC 3339 allows "t" and "z"
        except ValueError:
            raise BadInput(where, "Give an ISO 8601 date and time with its offset.") from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise BadInput(where, "Give the time zone offset too (Z or +01:00).")
        try:
            in_range = EARLIEST <= moment <= LATEST
        except OverflowError:
            in_range = False
        if not in_range:
            raise BadInput(where, "Give a time between 1970 and 9000.")
        return moment


@dataclass(frozen=True)
class MapOf(Type):
    """An object from ids (matching key_pattern) to values of one type: {"c3": "major_outage"}."""

    key_pattern: str
    values: Type
    max_items: int = 100

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "propertyNames": {"pattern": f"^{self.key_pattern}$"},
            "additionalProperties": self.values.schema(),
            "maxProperties": self.max_items,
        }

    def parse(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise BadInput(where, "Give an object.")
        if len(value) > self.max_items:
            raise BadInput(where, f"At most {self.max_items} entries.")
        parsed = {}
        for key, item in value.items():
            if not re.fullmatch(self.key_pattern, key):
                raise BadInput(f"{where}.{key}", f"Keys look like {self.key_pattern}.")
            parsed[key] = self.values.parse(item, f"{where}.{key}")
        return parsed


@dataclass(frozen=True)
class ListOf(Type):
    items: Type
    max_items: int = 100

    def schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": self.items.schema(),
            "maxItems": self.max_items,
            "uniqueItems": True,
        }

    def parse(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise BadInput(where, "Give a list.")
        if len(value) > self.max_items:
            raise BadInput(where, f"At most {self.max_items} items.")
        parsed = [self.items.parse(item, f"{where}[{n}]") for n, item in enumerate(value)]
        if len(set(map(repr, parsed))) != len(parsed):
            raise BadInput(where, "Each item once.")
        return parsed


@dataclass(frozen=True)
class Translations(Type):
    """Texts in the site's other languages, by language, then field: {"nb": {"body": "..."}}.

    New rows are written in the site's language (LANGUAGE_CODE), so the languages are the
    others in LANGUAGES, read at each call; each field is optional, an empty text is none.
    """

    texts: tuple[tuple[str, Text], ...]  # each field with its type, as the original's

    def schema(self) -> dict[str, Any]:
        languages = other_languages(site_language())
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {name: kind.schema() for name, kind in self.texts},
                "additionalProperties": False,
            },
        }
        if languages:
            schema["propertyNames"] = {"enum": languages}
        else:
            schema["maxProperties"] = 0
        return schema

    def parse(self, value: object, where: str) -> dict[str, dict[str, str]]:
        if not isinstance(value, dict):
            raise BadInput(where, "Give an object.")
        original, languages = site_language(), other_languages(site_language())
        types = dict(self.texts)
        parsed: dict[str, dict[str, str]] = {}
        for language, texts in value.items():
            at = f"{where}.{str(language)[:100]}"
            if language not in languages:
                raise BadInput(at, _not_a_translation(language, original, languages))
            if not isinstance(texts, dict):
                raise BadInput(at, "Give an object of texts by field.")
            for name in texts:
                if name not in types:
                    known = ", ".join(types)
                    raise BadInput(f"{at}.{str(name)[:100]}", f"Unknown field (known: {known}).")
            parsed[language] = {
                name: kind.parse(texts[name], f"{at}.{name}")
                for name, kind in self.texts
                if name in texts
            }
        return parsed


def _not_a_translation(language: str, original: str, languages: list[str]) -> str:
    if not languages:
        return f"This site is in {original} only (SITE_LANGUAGES): it takes no translations."
    others = ", ".join(languages)
    if language == original:
        return f"The original is in {original}; translate into {others}."
    return f"Not a language of this site; translate into {others}."


@dataclass(frozen=True)
class Field:
    name: str
    type: Type
    description: str
    required: bool = False
    example: object = None


@dataclass(frozen=True)
class Body:
    """A JSON object with these fields and no others."""

    name: str
    fields: tuple[Field, ...]
    example: Mapping[str, object] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        properties = {}
        for f in self.fields:
            properties[f.name] = {**f.type.schema(), "description": f.description}
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        if self.example:
            schema["example"] = dict(self.example)
        return schema

    def parse(self, data: object) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise BadInput(None, "Send a JSON object.")
        known = {f.name for f in self.fields}
        for name in data:
            if name not in known:
                raise BadInput(
                    str(name)[:100], f"Unknown field (known: {', '.join(sorted(known))})."
                )
        parsed = {}
        for f in self.fields:
            if f.name in data:
                parsed[f.name] = f.type.parse(data[f.name], f.name)
            elif f.required:
                raise BadInput(f.name, "This field is required.")
        return parsed
