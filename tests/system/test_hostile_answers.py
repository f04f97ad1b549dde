"""Answers of the wrong shape or types, through both adapters: always a ClaudeVertexError.

The core checks what it reads (JSON, sizes, the order of stream events); what the adapters
convert can still hold a number where text belongs, a missing field, or tool arguments that
are not JSON. A hostile loopback server (tests/hostile.py) sends such answers, streamed and
not; each must be tolerated or end in a ``ClaudeVertexError``, never in an ``AttributeError``
or a ``TypeError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from claude_vertex import ClaudeVertexError
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.hostile import HostileServer, Scripted, message, message_end, message_start

MODEL = "claude-sonnet-4-5"


def _start(block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": 0, "content_block": block}


def _delta(delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": 0, "delta": delta}


def _stream(*events: dict[str, Any], start: dict[str, Any] | None = None) -> Scripted:
    return Scripted.events(start or message_start(), *events, *message_end())


EMPTY_TEXT = {"type": "text", "text": ""}
TOOL = {"type": "tool_use", "id": "toolu_1", "name": "look", "input": {}}
STARTING_WITH_A_NUMBER = message_start()
STARTING_WITH_A_NUMBER["message"]["content"] = 5

STREAMS = {
    "a text delta without text": _stream(_start(EMPTY_TEXT), _delta({"type": "text_delta"})),
    "a text block holding a number": _stream(
        _start({"type": "text", "text": 5}), _delta({"type": "text_delta", "text": "a"})
    ),
    "a text delta holding a number": _stream(
        _start(EMPTY_TEXT), _delta({"type": "text_delta", "text": 7})
    ),
    "message_start content a number": _stream(start=STARTING_WITH_A_NUMBER),
    "tool arguments that are not JSON": _stream(
        _start(TOOL),
        _delta({"type": "input_json_delta", "partial_json": "{not json"}),
        {"type": "content_block_stop", "index": 0},
    ),
    "usage of words": _stream(
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"x": "y"}},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": "many"},
        },
    ),
}

ANSWERS = {
    "a text block holding a number": {**message(), "content": [{"type": "text", "text": 5}]},
    "content a string": {**message(), "content": "Hello"},
    "content of numbers": {**message(), "content": [1, 2]},
    "usage of words": {**message(), "usage": {"input_tokens": "few", "output_tokens": "many"}},
    "a tool call without arguments": {
        **message(),
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "look"}],
    },
}


def _langchain(server: HostileServer, place: dict[str, Any]) -> ChatClaudeVertex:
    options = {**place, "credentials": str(place["credentials"]), "base_url": server.base_url}
    return ChatClaudeVertex(model=MODEL, max_retries=0, **options)


def _llama_index(server: HostileServer, place: dict[str, Any]) -> ClaudeVertex:
    return ClaudeVertex(MODEL, max_retries=0, **{**place, "base_url": server.base_url})


ASK = [ChatMessage(role="user", content="Hey Claude!")]


async def _alist(chunks: Any) -> list[Any]:
    return [chunk async for chunk in chunks]


def _calls(server: HostileServer, place: dict[str, Any], streamed: bool) -> list[Callable[[], Any]]:
    chat, llm = _langchain(server, place), _llama_index(server, place)
    if streamed:
        return [
            lambda: list(chat.stream("Hey Claude!")),
            lambda: asyncio.run(_alist(chat.astream("Hey Claude!"))),
            lambda: list(llm.stream_chat(ASK)),
            lambda: asyncio.run(_alist_llama(llm)),
        ]
    return [
        lambda: chat.invoke("Hey Claude!"),
        lambda: asyncio.run(chat.ainvoke("Hey Claude!")),
        lambda: llm.chat(ASK),
        lambda: asyncio.run(llm.achat(ASK)),
    ]


async def _alist_llama(llm: ClaudeVertex) -> list[Any]:
    return await _alist(await llm.astream_chat(ASK))


def _untyped(calls: list[Callable[[], Any]]) -> list[str]:
    """What each call raised that is not a ClaudeVertexError (tolerating the answer is fine)."""
    problems = []
    for number, call in enumerate(calls):
        try:
            call()
        except ClaudeVertexError:
            continue
        except Exception as exc:
            problems.append(f"call {number}: {type(exc).__name__}: {exc}"[:300])
    return problems


@pytest.mark.parametrize("reply", STREAMS.values(), ids=STREAMS.keys())
def test_a_stream_of_the_wrong_shape_is_a_typed_error(
    place: dict[str, Any], reply: Scripted
) -> None:
    with HostileServer([reply]) as server:
        assert _untyped(_calls(server, place, streamed=True)) == []


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_answer_of_the_wrong_shape_is_a_typed_error(
    place: dict[str, Any], answer: dict[str, Any]
) -> None:
    with HostileServer([Scripted.json(answer)]) as server:
        assert _untyped(_calls(server, place, streamed=False)) == []
