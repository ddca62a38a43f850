"""Microsoft Teams: each notice as an Adaptive Card (1.4) to a reader's incoming webhook.

Teams' incoming webhooks (a Workflows flow "When a Teams webhook request is received", or an
older Office 365 connector) take a message with one Adaptive Card attachment:
{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
"content": {...}}]}. The card: the status in the colour of the impact, the title, the time with
its zone, the update (cut so the whole stays well inside Teams' 28 KB), a fact set of what it
affects, the promised next update and a maintenance window, and buttons to the incident or
window and to the reader's own page.
"""

from __future__ import annotations

from typing import Any

from notifier.channels.chat_hooks import ChatHookChannel, ChatWords, code_text, cut, manage_label

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
# Characters, not bytes: at up to 3 bytes each, still inside 28 KB with the rest of the card.
BODY_CHARACTERS = 6000
TITLE_CHARACTERS = 500
COLOURS = {
    "resolved": "Good",
    "maintenance": "Accent",
    "critical": "Attention",
    "major": "Attention",
    "minor": "Warning",
    "neutral": "Default",
}


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    content: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": content}],
    }


def open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


class TeamsChannel(ChatHookChannel):
    name = "teams"
    label = "Teams subscribers"
    service = "Teams"
    hosts = (".webhook.office.com", ".logic.azure.com", ".environment.api.powerplatform.com")
    where_to_find = (
        "In Teams, open the channel's Workflows, choose the template \u201cPost to a channel "
        "when a webhook request is received\u201d, pick the team and channel, and copy the URL "
        "it gives at the end."
    )

    def message(self, words: ChatWords, manage: str) -> dict[str, Any]:
        body = [
            text_block(words.status, weight="Bolder", color=COLOURS[words.tone], spacing="None"),
            text_block(cut(words.title, TITLE_CHARACTERS), weight="Bolder", size="Medium"),
            text_block(words.stamp, isSubtle=True, spacing="None"),
        ]
        if words.body:
            body.append(text_block(cut(words.body, BODY_CHARACTERS)))
        if words.facts:
            facts = [{"title": name, "value": value} for name, value in words.facts]
            body.append({"type": "FactSet", "facts": facts})
        actions = [
            open_url(words.link_label, words.url),
            open_url(manage_label(), manage),
        ]
        return card(body, actions)

    def code_message(self, code: str) -> dict[str, Any]:
        return card([text_block(line) for line in code_text(code).split("\n")], [])
