"""The emulator's deterministic token counts, and a prompt cut into cacheable segments.

About one token per four characters of text, plus fixed amounts per image, PDF and tool
definition. :func:`count_input_tokens` is what ``count-tokens`` answers; :func:`prompt_segments`
is the same count split the way the prompt cache (:mod:`.prompt_cache`) reads a prompt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from .jsontypes import JSON

__all__ = [
    "CHARS_PER_TOKEN",
    "IMAGE_TOKENS",
    "PDF_TOKENS",
    "TOOL_DEFINITION_TOKENS",
    "Segment",
    "block_tokens",
    "canonical_json",
    "count_input_tokens",
    "prompt_segments",
    "text_tokens",
]

CHARS_PER_TOKEN = 4
#: Fixed token costs of the parts a character count does not describe.
IMAGE_TOKENS = 1_500
PDF_TOKENS = 2_000
TOOL_DEFINITION_TOKENS = 50


def text_tokens(text: str) -> int:
    """The token count of plain text: one token per :data:`CHARS_PER_TOKEN` characters."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def canonical_json(value: object) -> str:
    """``value`` as compact JSON with sorted keys: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _document_tokens(block: JSON) -> int:
    """A document: its plain text, the blocks of its content, or a PDF's fixed cost."""
    source = block.get("source") or {}
    if source.get("type") == "text":
        return text_tokens(str(source.get("data", "")))
    if source.get("type") == "content":
        return sum(block_tokens(b) for b in source.get("content") or [])
    return PDF_TOKENS


def _result_tokens(block: JSON) -> int:
    """A tool or search result: its title and nested blocks, or its content as a string."""
    content = block.get("content")
    if isinstance(content, list):
        return text_tokens(str(block.get("title", ""))) + sum(block_tokens(b) for b in content)
    return text_tokens(str(content or ""))


def _tool_use_tokens(block: JSON) -> int:
    """A tool call: its name and its input as JSON."""
    return text_tokens(str(block.get("name", "")) + canonical_json(block.get("input", {})))


def _image_tokens(block: JSON) -> int:
    """An image: a fixed cost, whatever its size."""
    return IMAGE_TOKENS


def _field_tokens(field: str) -> Callable[[JSON], int]:
    """A counter of the block types counted by the text of one field alone."""

    def count(block: JSON) -> int:
        return text_tokens(str(block.get(field, "")))

    return count


#: Token counters of the block types the emulator knows; others count as their JSON.
_BLOCK_TOKEN_COUNTERS: dict[str, Callable[[JSON], int]] = {
    "text": _field_tokens("text"),
    "image": _image_tokens,
    "document": _document_tokens,
    "tool_result": _result_tokens,
    "search_result": _result_tokens,
    "tool_use": _tool_use_tokens,
    "server_tool_use": _tool_use_tokens,
    "thinking": _field_tokens("thinking"),
    "redacted_thinking": _field_tokens("data"),
}


def block_tokens(block: object) -> int:
    """The token estimate of one content block (or a bare string)."""
    if isinstance(block, str):
        return text_tokens(block)
    if not isinstance(block, dict):
        return 0
    kind = block.get("type")
    counter = _BLOCK_TOKEN_COUNTERS.get(kind) if isinstance(kind, str) else None
    return text_tokens(canonical_json(block)) if counter is None else counter(block)


@dataclass(frozen=True)
class Segment:
    """One cacheable unit of a prompt, in the order the prompt cache reads them."""

    key: str
    tokens: int
    breakpoint: bool
    #: The cache lifetime its breakpoint asks for (``"5m"`` or ``"1h"``); ``"5m"`` without one.
    ttl: str = "5m"


def _without_cache_control(block: object) -> object:
    if isinstance(block, dict):
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def prompt_segments(body: JSON) -> list[Segment]:
    """The prompt as cacheable segments: tools, then system, then message blocks."""
    segments: list[Segment] = []

    def add(prefix: str, block: object, tokens: int) -> None:
        control = block.get("cache_control") if isinstance(block, dict) else None
        ttl = control.get("ttl") if isinstance(control, dict) else None
        key = prefix + canonical_json(_without_cache_control(block))
        segments.append(Segment(key, tokens, control is not None, ttl if ttl == "1h" else "5m"))

    for tool in body.get("tools") or []:
        add(
            "tool:",
            tool,
            TOOL_DEFINITION_TOKENS + text_tokens(canonical_json(_without_cache_control(tool))),
        )
    system = body.get("system")
    for block in [system] if isinstance(system, str) else system or []:
        add("system:", block, block_tokens(block))
    for message in body.get("messages") or []:
        role = str(message.get("role"))
        content = message.get("content")
        for block in [content] if isinstance(content, str) else content or []:
            add(f"{role}:", block, block_tokens(block))
    return segments


def count_input_tokens(body: JSON) -> int:
    """The emulator's deterministic input-token count of a request (at least 1).

    About one token per four characters of text, plus fixed amounts per image, PDF and tool
    definition. ``count-tokens`` answers this number; a create call reports it split into
    ``input_tokens``, ``cache_creation_input_tokens`` and ``cache_read_input_tokens``.
    """
    return max(1, sum(segment.tokens for segment in prompt_segments(body)))
