"""What a publish would look like, before it is made: page entry, email subject, posts.

The real action runs inside a transaction that is then rolled back, so the
preview shows exactly what publishing would, and its validation errors too. On a site in
several languages, the page entry and what readers are sent are shown in each: the other
language from the texts staff gave for it, or the original marked as the public page marks it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from console.forms.translations import language_name
from incidents.models import InvalidTransition
from incidents.models.translations import other_languages, site_language
from notifier.channels.base import Channel
from notifier.channels.social import SocialChannel
from notifier.models import Notice
from notifier.notice_text import render_email
from notifier.registry import all_channels


@dataclass(frozen=True)
class SocialPreview:
    label: str
    text: str
    length: int
    limit: int
    configured: bool
    language: str  # the account's: the site's, or a second account's own

    @property
    def over(self) -> bool:
        return self.length > self.limit


@dataclass(frozen=True)
class ChannelPreview:
    """What another configured channel would send (an SMS with its segments, a chat card)."""

    label: str
    text: str


@dataclass(frozen=True)
class LanguagePreview:
    """What readers of another language get: the page entry, the mail's subject, the texts of
    the channels that write in the reader's language (X and Mastodon post the site's)."""

    language: str
    name: str
    entry: str
    email_subject: str
    channels: list[ChannelPreview]
    social: list[SocialPreview]  # the accounts posting in this language (a second X, ...)


@dataclass
class PublishPreview:
    entry: str = ""  # rendered HTML, marked safe by the renderer
    email_subject: str = ""
    social: list[SocialPreview] = field(default_factory=list)
    channels: list[ChannelPreview] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    language: str = ""  # the site's, which the above are in
    languages: list[LanguagePreview] = field(default_factory=list)  # each other one

    @property
    def language_name(self) -> str:
        return language_name(self.language)


class _RollBack(Exception):
    pass


# What a notice can be about; anything else `act` returns is only for the entry.
NOTICE_ROWS = ("incident", "incident_update", "maintenance", "maintenance_update", "post")


def social_preview(channel: SocialChannel, notice: Notice) -> SocialPreview:
    text = channel.preview(notice)
    return SocialPreview(
        label=channel.label,
        text=text,
        length=channel.measure(text),
        limit=channel.limit,
        configured=channel.is_configured(),
        language=channel.language or site_language(),
    )


def other_preview(channel: Channel, notice: Notice) -> str:
    """A configured reader channel's own words; the email subject above stands for the mail."""
    if channel.is_mirror or channel.name == "email" or not channel.is_configured():
        return ""
    return channel.preview(notice)


def _entry(template: str, rows: Mapping[str, Any], language: str) -> SafeString:
    # entry_language: for an entry template that marks its readers' text with it.
    context = {**rows, "compact": False, "entry_language": language}
    return SafeString(render_to_string(template, context))


def _other_channels(notice: Notice) -> list[ChannelPreview]:
    return [
        ChannelPreview(channel.label, said)
        for channel in all_channels()
        if not isinstance(channel, SocialChannel) and (said := other_preview(channel, notice))
    ]


def _in_language(
    language: str,
    notice: Notice,
    rows: Mapping[str, Any],
    entry_template: str,
    social: list[SocialPreview],
) -> LanguagePreview:
    with translation.override(language):
        return LanguagePreview(
            language=language,
            name=language_name(language),
            entry=_entry(entry_template, rows, language),
            email_subject=render_email(notice).subject,
            channels=_other_channels(notice),
            social=[post for post in social if post.language == language],
        )


def preview_publish(
    kind: str,
    act: Callable[[], Mapping[str, Any]],
    entry_template: str,
) -> PublishPreview:
    """Run `act` (an action called with channels=[]), render, and undo everything.

    `act` returns the rows the notice is about, as Notice's keyword arguments
    (incident=..., incident_update=...); they, and anything else it returns
    (update=...), are the entry's context.
    """
    preview = PublishPreview(language=site_language())
    try:
        with transaction.atomic():
            rows = act()
            notice = Notice.objects.create(
                kind=kind, **{name: row for name, row in rows.items() if name in NOTICE_ROWS}
            )
            preview.entry = _entry(entry_template, rows, preview.language)
            preview.email_subject = render_email(notice).subject
            social = [
                social_preview(channel, notice)
                for channel in all_channels()
                if isinstance(channel, SocialChannel)
            ]
            preview.social = [post for post in social if post.language == preview.language]
            preview.channels = _other_channels(notice)
            preview.languages = [
                _in_language(language, notice, rows, entry_template, social)
                for language in other_languages(preview.language)
            ]
            raise _RollBack
    except _RollBack:
        pass
    except ValidationError as error:
        preview.errors = error.messages
    except InvalidTransition as error:
        # The status moved on under the editor: publishing would be refused the same way.
        preview.errors = [str(error)]
    except DatabaseError:
        # A publish writing at the same moment can hold SQLite's lock; a preview may yield.
        preview.errors = ["The preview could not be made just now; it refreshes as you type."]
    return preview
