"""Slack: each notice as Block Kit blocks to a reader's incoming webhook (hooks.slack.com).

The message: a section with the title (linking to the incident or window), its status and the
time with its zone; a plain-text section with the update; a context line of what it affects,
the promised next update and a maintenance window; a context line linking to the reader's own
page; and `text`, the plain fallback Slack shows in notifications. Slack reads `text` and
mrkdwn fields as markup, so &, < and > in them are escaped as Slack asks (which also keeps
"<!channel>" in a title from mentioning anyone); the update goes as plain_text, cut to the
3,000 characters a section holds.
"""

from __future__ import annotations

from typing import Any

from notifier.channels.chat_hooks import ChatHookChannel, ChatWords, code_text, cut, manage_label

SECTION_CHARACTERS = 3000


def escaped(text: str) -> str:
    """Text for a Slack mrkdwn field: only &, < and > are control characters there."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    return f"<{escaped(url)}|{escaped(label)}>"


class SlackChannel(ChatHookChannel):
    name = "slack"
    label = "Slack subscribers"
    service = "Slack"
    hosts = ("hooks.slack.com",)
    path_prefixes = ("/services/",)
    where_to_find = (
        "In Slack, create an app (api.slack.com/apps), turn on Incoming Webhooks, choose "
        "Add New Webhook to Workspace and pick the channel; copy the URL it shows "
        "(https://hooks.slack.com/services/…)."
    )

    def message(self, words: ChatWords, manage: str) -> dict[str, Any]:
        head = cut(f"{words.title}", SECTION_CHARACTERS - 200)
        blocks: list[dict[str, Any]] = [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{link(words.url, head)}*\n{escaped(words.status)} · "
                    f"{escaped(words.stamp)}",
                },
            }
        ]
        if words.body:
            blocks.append(
                {
                    "type": "section",
                    "text": {
                        "type": "plain_text",
                        "text": cut(words.body, SECTION_CHARACTERS),
                        "emoji": False,
                    },
                }
            )
        if words.facts:
            facts = [
                {"type": "mrkdwn", "text": cut(f"*{name}:* {escaped(value)}", SECTION_CHARACTERS)}
                for name, value in words.facts
            ]
            blocks.append({"type": "context", "elements": facts})
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{link(words.url, words.link_label)} · "
                        f"{link(manage, manage_label())}",
                    }
                ],
            }
        )
        fallback = f"{words.headline} ({words.stamp})"
        return {
            "text": escaped(cut(fallback, SECTION_CHARACTERS)),
            "blocks": blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }

    def code_message(self, code: str) -> dict[str, Any]:
        text = code_text(code)
        return {"text": escaped(text), "unfurl_links": False}
