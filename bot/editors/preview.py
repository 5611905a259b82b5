"""Preview: a story as Slack will show it, drawn in text for the terminal."""

from __future__ import annotations

from typing import Any


def slack_preview(draft: dict[str, Any], channel: str) -> str:
    """A text picture of the Block Kit messages ``bot.delivery.slack`` would post."""
    from bot.delivery.slack import (
        build_messages,  # slack_sdk loads for previews only, not for every check
    )

    main, thread = build_messages(draft)
    lines = [f"┌─ Slack, {channel} " + "─" * 40]
    for number, message in enumerate([main, *thread], start=1):
        if number > 1:
            lines.append(f"│  ↳ reply in thread (part {number})")
        for block in message["blocks"]:
            if block["type"] == "header":
                lines.append(f"│ ▌{block['text']['text']}")
            elif block["type"] == "section":
                lines += [f"│ {line}" for line in _unescape(block["text"]["text"]).split("\n")]
                lines.append("│")
            else:
                lines.append(f"│ ⓘ {_unescape(block['elements'][0]['text'])}")
    lines.append("│  ↳ reply in thread: the plain copy as a .txt file")
    lines.append("└" + "─" * 50)
    return "\n".join(lines)


def _unescape(text: str) -> str:
    """Slack's mrkdwn escapes, undone so the preview reads as the editor will see it."""
    text = text.replace("\u200b", "")  # keeps markup characters literal; Slack shows nothing
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
