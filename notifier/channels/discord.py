"""Discord: each notice as an embed to a reader's channel webhook (discord.com/api/webhooks/…).

The embed: the title with its status (linking to the incident or window), the update as its
description, a colour by impact or status, the time of the update (`timestamp`, ISO 8601,
which Discord shows in the reader's own zone) and in the site's zone in the footer, and fields
for what it affects, the promised next update, a maintenance window and the reader's own page.
Each part is cut to Discord's limits (title 256, description 4,096, field 1,024 characters,
6,000 for the whole embed). `allowed_mentions` parses nothing, so no text in a notice can
mention @everyone, a role or a user.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from incidents import timefmt
from notifier.channels.chat_hooks import ChatHookChannel, ChatWords, code_text, cut, manage_label

TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBED_TOTAL = 6000
COLOURS = {
    "resolved": 0x2ECC71,
    "maintenance": 0x3498DB,
    "critical": 0xE74C3C,
    "major": 0xE67E22,
    "minor": 0xF1C40F,
    "neutral": 0x95A5A6,
}
NO_MENTIONS: dict[str, list[str]] = {"parse": []}


def field(name: str, value: str) -> dict[str, Any]:
    return {"name": cut(name, FIELD_NAME), "value": cut(value, FIELD_VALUE), "inline": False}


class DiscordChannel(ChatHookChannel):
    name = "discord"
    label = "Discord subscribers"
    service = "Discord"
    hosts = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")
    path_prefixes = ("/api/webhooks/", "/api/v")
    where_to_find = (
        "In Discord, open the channel's settings, Integrations, Webhooks, New Webhook; "
        "then Copy Webhook URL (https://discord.com/api/webhooks/…)."
    )

    def message(self, words: ChatWords, manage: str) -> dict[str, Any]:
        fields = [field(name, value) for name, value in words.facts]
        fields.append(field(_("Your subscription"), f"[{manage_label()}]({manage})"))
        embed: dict[str, Any] = {
            "title": cut(words.headline, TITLE),
            "url": words.url,
            "color": COLOURS[words.tone],
            "timestamp": timefmt.iso_utc(words.posted_at),
            "fields": fields,
            "footer": {"text": cut(f"{words.status} · {words.stamp}", FOOTER)},
        }
        used = len(embed["title"]) + len(embed["footer"]["text"])
        used += sum(len(f["name"]) + len(f["value"]) for f in fields)
        room = min(DESCRIPTION, EMBED_TOTAL - used)
        if words.body and room > 1:
            embed["description"] = cut(words.body, room)
        return {"embeds": [embed], "allowed_mentions": NO_MENTIONS}

    def code_message(self, code: str) -> dict[str, Any]:
        return {"content": code_text(code), "allowed_mentions": NO_MENTIONS}
