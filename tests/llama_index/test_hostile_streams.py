"""Streams no Vertex endpoint sends, through ClaudeVertex: typed errors, bounded memory.

A hostile loopback server (tests/hostile.py) answers the stream route; the model's streamed
answer must end in a ``ClaudeVertexError`` (never an ``IndexError``, never gigabytes
allocated for one event) or, for events after ``message_stop``, leave them out.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from claude_vertex import ClaudeVertexError, StreamOrderError
from tests.hostile import HostileServer, Scripted, message_end, message_start, text_block
from tests.llama_index.support import MakeLLM

ASK = [ChatMessage(role="user", content="Hey Claude!")]


def _stream(llm: Any, mode: str) -> list[Any]:
    if mode == "sync":
        return list(llm.stream_chat(ASK))

    async def collect() -> list[Any]:
        return [chunk async for chunk in await llm.astream_chat(ASK)]

    return asyncio.run(collect())


@pytest.mark.parametrize("index", [10**5, 10**8], ids=["index 10**5", "index 10**8"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_block_starting_far_ahead_is_refused_without_allocating(
    make_llm: MakeLLM, index: int, mode: str
) -> None:
    start = {"type": "content_block_start", "index": index, "content_block": {"type": "text"}}
    reply = Scripted.events(message_start(), start, *message_end())
    tracemalloc.start()
    try:
        with HostileServer([reply]) as server, pytest.raises(ClaudeVertexError) as caught:
            _stream(make_llm(base_url=server.base_url), mode)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(caught.value.__cause__, StreamOrderError)
    assert peak < 20 * 1024 * 1024


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_delta_for_a_block_never_started_is_a_typed_error(make_llm: MakeLLM, mode: str) -> None:
    text = {"type": "text_delta", "text": "x"}
    delta = {"type": "content_block_delta", "index": 0, "delta": text}
    reply = Scripted.events(message_start(), delta, *message_end())
    with HostileServer([reply]) as server, pytest.raises(ClaudeVertexError) as caught:
        _stream(make_llm(base_url=server.base_url), mode)
    assert isinstance(caught.value.__cause__, StreamOrderError)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_events_after_message_stop_are_left_out(make_llm: MakeLLM, mode: str) -> None:
    reply = Scripted.events(
        message_start(), *text_block(0, "Hi"), *message_end(), *text_block(1, " EVIL")
    )
    with HostileServer([reply]) as server:
        chunks = _stream(make_llm(base_url=server.base_url), mode)
    assert chunks[-1].message.content == "Hi"
    assert "EVIL" not in "".join(chunk.delta or "" for chunk in chunks)
