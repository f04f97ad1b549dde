"""Answer planning: what the emulated model answers to a valid create or stream request.

:func:`plan_answer` is a pure function of the request body (and the emulator's
:class:`~.thinking.ThinkingSigner`): thinking when asked for, tool calls following
``tool_choice`` (web search runs as a server tool, its results in the same answer), a
structured output, a ReAct step, tool results echoed, ``[[words:N]]`` filler, citations, or
an echo of the user's text, cut at stop sequences and ``max_tokens``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .citations import cited_blocks
from .jsontypes import JSON
from .prompt_text import ECHO_CHARS, block_text, last_user_turn
from .react import react_step
from .schema_examples import ArgumentHints, example_from_schema
from .thinking import REDACTED_THINKING_TRIGGER, ThinkingSigner
from .tokens import CHARS_PER_TOKEN, block_tokens, canonical_json, text_tokens
from .tool_choice import chosen_tools
from .web_search import is_web_search, web_search_blocks

__all__ = ["MAX_WORDS", "Answer", "plan_answer"]

#: Ceiling on ``[[words:N]]``, so one request cannot make the emulator build gigabytes.
MAX_WORDS = 200_000

_WORDS_MARKER = re.compile(r"\[\[words:(\d+)\]\]")
_VOCABULARY = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


@dataclass(frozen=True)
class Answer:
    """What the emulated model says: content blocks and why it stopped."""

    content: tuple[JSON, ...]
    stop_reason: str
    stop_sequence: str | None
    output_tokens: int
    #: Searches made with the web search server tool (``usage.server_tool_use``).
    web_search_requests: int = 0


def _stable_id(prefix: str, body: JSON, index: int) -> str:
    digest = hashlib.sha256(f"{index}:{canonical_json(body)}".encode()).hexdigest()
    return prefix + digest[:24]


def _output_format(body: JSON) -> JSON | None:
    output_format = (body.get("output_config") or {}).get("format")
    if isinstance(output_format, dict) and output_format.get("type") == "json_schema":
        return output_format
    return None


def _answer_text(body: JSON, user_blocks: Sequence[JSON], user_text: str) -> str:
    output_format = _output_format(body)
    if output_format is not None:
        hints = ArgumentHints(user_text)
        return json.dumps(example_from_schema(output_format.get("schema"), hints))
    results = [block_text(b)[:ECHO_CHARS] for b in user_blocks if b.get("type") == "tool_result"]
    if results:
        return "Tool results: " + " | ".join(results)
    react = react_step(body, user_text)
    if react is not None:
        return react
    marker = _WORDS_MARKER.search(user_text)
    if marker:
        count = min(int(marker.group(1)), MAX_WORDS)
        return " ".join(_VOCABULARY[i % len(_VOCABULARY)] for i in range(count))
    return f"Hello! You said: {user_text[:ECHO_CHARS]}" if user_text else "Hello!"


def _cut_at_stop_sequence(text: str, stops: Sequence[str]) -> tuple[str, str | None]:
    found = [(text.find(s), s) for s in stops if s and s in text]
    if not found:
        return text, None
    index, stop = min(found)
    return text[:index], stop


def _thinking(body: JSON, user_text: str, signer: ThinkingSigner) -> tuple[list[JSON], int]:
    """The thinking block that opens the answer when thinking is on, and its tokens."""
    if (body.get("thinking") or {}).get("type") not in ("enabled", "adaptive"):
        return [], 0
    thought = f"Let me think about: {user_text[:ECHO_CHARS] or 'the request'}"
    if REDACTED_THINKING_TRIGGER in user_text:
        block = {"type": "redacted_thinking", "data": signer.seal(thought)}
    else:
        block = {"type": "thinking", "thinking": thought, "signature": signer.sign(thought)}
    return [block], text_tokens(thought)


def plan_answer(body: JSON, signer: ThinkingSigner) -> Answer:
    """The deterministic answer to a valid create or stream request.

    See the module documentation of :mod:`claude_vertex.testing` for what the emulated model
    says in which case.
    """
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    user_blocks = [b for b in last_user_turn(messages) if isinstance(b, dict)]
    user_text = " ".join(block_text(b) for b in user_blocks if b.get("type") == "text").strip()
    answered = any(b.get("type") == "tool_result" for b in user_blocks)
    budget = int(body.get("max_tokens") or 0) or MAX_WORDS
    content, thought_tokens = _thinking(body, user_text, signer)
    budget -= thought_tokens

    calls = chosen_tools(body, user_text, answered)
    searches = [tool for tool in calls if is_web_search(tool)]  # run by the server, answered here
    calls = [tool for tool in calls if not is_web_search(tool)]
    for index, _ in enumerate(searches):
        content.extend(web_search_blocks(user_text, _stable_id("srvtoolu_vrtx_", body, -1 - index)))
    forced = (body.get("tool_choice") or {}).get("type") in ("any", "tool")
    if calls and forced:
        text = ""
    elif calls:
        text = "I'll use the " + " and ".join(str(t["name"]) for t in calls) + " tool."
    else:
        text = _answer_text(body, user_blocks, user_text)
    text, stop_sequence = _cut_at_stop_sequence(text, body.get("stop_sequences") or [])
    stop_reason = "stop_sequence" if stop_sequence is not None else "end_turn"
    if text_tokens(text) > max(budget, 0):
        text, stop_reason, stop_sequence = (
            text[: max(budget, 0) * CHARS_PER_TOKEN],
            "max_tokens",
            None,
        )
    if text:
        content.append({"type": "text", "text": text})
    if not calls and not _output_format(body) and stop_reason == "end_turn":
        content.extend(cited_blocks(messages, user_blocks))
    if calls and stop_reason == "end_turn":
        stop_reason = "tool_use"
        for index, tool in enumerate(calls):
            content.append(
                {
                    "type": "tool_use",
                    "id": _stable_id("toolu_vrtx_", body, index),
                    "name": tool["name"],
                    "input": example_from_schema(
                        tool.get("input_schema") or {"type": "object"}, ArgumentHints(user_text)
                    ),
                }
            )
    said = [block for block in content if block["type"] != "web_search_tool_result"]
    output_tokens = max(1, sum(block_tokens(block) for block in said))
    return Answer(tuple(content), stop_reason, stop_sequence, output_tokens, len(searches))
