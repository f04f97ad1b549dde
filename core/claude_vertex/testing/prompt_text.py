"""The text the emulated model reads in a request, and how much of it an answer may quote.

The last user turn, the readable text of a block, the system prompt and the words of a text,
plus :data:`ECHO_CHARS`, the longest stretch of a request any answer repeats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .jsontypes import JSON

__all__ = ["ECHO_CHARS", "block_text", "last_user_turn", "system_text", "words"]

#: Longest echo of the user's text in an answer.
ECHO_CHARS = 200


def last_user_turn(messages: Sequence[JSON]) -> list[JSON]:
    """The blocks of the trailing run of user messages (a turn may span several messages)."""
    blocks: list[JSON] = []
    for message in reversed(messages):
        if message.get("role") != "user":
            if blocks:
                break
            continue
        content = message.get("content")
        found = (
            [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        )
        blocks = found + blocks
    return blocks


def block_text(block: JSON) -> str:
    """The readable text of a block: text, or the text inside a tool result."""
    if block.get("type") == "text":
        return str(block.get("text", ""))
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            block_text(b) for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def words(text: str) -> set[str]:
    """The lowercase words of ``text`` with at least three letters or digits."""
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3}


def system_text(body: JSON) -> str:
    """The system prompt of a request as one text (its text blocks joined by newlines)."""
    system = body.get("system")
    if isinstance(system, str):
        return system
    return "\n".join(str(b.get("text", "")) for b in system or [] if isinstance(b, dict))
