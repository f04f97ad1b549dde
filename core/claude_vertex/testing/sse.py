"""Server-sent events of a streamed Message: the event sequence and its wire encoding.

:func:`stream_events` turns a Message object into the events Vertex streams for it, encoded
lazily one at a time with one shared compact JSON encoder; :func:`encode_sse` encodes one
event (fault injection uses it to write events of its own).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator

from .jsontypes import JSON

__all__ = ["encode_sse", "stream_events", "vertex_event"]


#: Compact JSON, one encoder for every event (``json.dumps`` with options builds one per call).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def encode_sse(event: str, data: JSON) -> bytes:
    """One server-sent event: an ``event:`` line, a ``data:`` line of JSON, a blank line."""
    return f"event: {event}\ndata: {_COMPACT.encode(data)}\n\n".encode()


def _word_chunks(text: str) -> list[str]:
    """``text`` cut after each word (with its trailing spaces): one delta per word."""
    return re.findall(r"\s*\S+\s*", text) or [text]


def _json_chunks(text: str) -> list[str]:
    """``text`` cut into at least two pieces (when it has two characters), at most eight."""
    size = max(1, math.ceil(len(text) / min(8, max(2, len(text) // 8))))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _block_events(index: int, block: JSON) -> Iterator[tuple[str, JSON]]:
    kind = block["type"]
    if kind == "text" and not block.get("citations"):
        start: JSON = {"type": "text", "text": ""}
        deltas: Iterable[JSON] = (
            {"type": "text_delta", "text": chunk} for chunk in _word_chunks(block["text"])
        )
    elif kind == "text" and block.get("citations"):
        start = {"type": "text", "text": ""}
        deltas = [
            *({"type": "citations_delta", "citation": c} for c in block["citations"]),
            *({"type": "text_delta", "text": chunk} for chunk in _word_chunks(block["text"])),
        ]
    elif kind in ("redacted_thinking", "web_search_tool_result"):  # whole in the start event
        start, deltas = dict(block), []
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            *({"type": "thinking_delta", "thinking": c} for c in _word_chunks(block["thinking"])),
            {"type": "signature_delta", "signature": block["signature"]},
        ]
    else:
        start = {**block, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": chunk}
            for chunk in _json_chunks(json.dumps(block.get("input", {})))
        ]
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": start},
    )
    for delta in deltas:
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": index}


def stream_events(message: JSON) -> Iterator[bytes]:
    """The SSE events that stream ``message``, each encoded, in order, made as they are taken.

    ``message_start`` (empty content, ``output_tokens`` 1), Vertex's ``vertex_event``, a
    ``ping``, each block's ``content_block_start``/deltas/``content_block_stop``,
    ``message_delta`` (stop reason and final usage) and ``message_stop``.
    """
    for event, data in _message_events(message):
        yield encode_sse(event, data)


#: The input size tier of ``vertex_event``'s usage: Vertex names the first ``0-to-200000``
#: (vercel/ai #11309); the name of the long-context tier is unconfirmed.
_TIERS = ((200_000, "0-to-200000"), (1_000_000, "200000-to-1000000"))


def vertex_event(usage: JSON) -> JSON:
    """Vertex's own early stream event: the call's usage so far, and again under its tier.

    Shaped as vercel/ai #11309 shows it: counts that are zero are ``null``, except the
    ``cache_creation`` breakdown, which is always present.
    """
    creation = usage.get("cache_creation") or {}
    counts: JSON = {
        "input_tokens": usage["input_tokens"],
        "output_tokens": 1,
        "cache_creation_input_tokens": usage.get("cache_creation_input_tokens") or None,
        "cache_read_input_tokens": usage.get("cache_read_input_tokens") or None,
        "web_search_requests": (usage.get("server_tool_use") or {}).get("web_search_requests"),
        "cache_creation": {
            "ephemeral_5m_input_tokens": creation.get("ephemeral_5m_input_tokens", 0),
            "ephemeral_1h_input_tokens": creation.get("ephemeral_1h_input_tokens", 0),
        },
    }
    prompt = sum(
        usage.get(key) or 0
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    tier = next((name for limit, name in _TIERS if prompt <= limit), _TIERS[-1][1])
    return {"type": "vertex_event", "usage": {**counts, "tiers": {tier: dict(counts)}}}


def _message_events(message: JSON) -> Iterator[tuple[str, JSON]]:
    usage = message["usage"]
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    yield "message_start", {"type": "message_start", "message": start}
    yield "vertex_event", vertex_event(usage)
    yield "ping", {"type": "ping"}
    for index, block in enumerate(message["content"]):
        yield from _block_events(index, block)
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": message["stop_reason"],
                "stop_sequence": message["stop_sequence"],
            },
            "usage": {key: value for key, value in usage.items() if key != "service_tier"},
        },
    )
    yield "message_stop", {"type": "message_stop"}
