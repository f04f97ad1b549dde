"""Prompt caching through ClaudeVertex: CachePoint blocks and a cacheable system prompt."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    TextBlock,
)

from claude_vertex import ParameterError
from claude_vertex.testing import VertexEmulator
from tests.llama_index.support import MakeLLM

CACHE = CachePoint(cache_control=CacheControl(type="ephemeral"))
MANUAL = "Reference manual. " * 200


def test_a_cache_point_makes_the_system_prompt_cacheable(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm()
    system = ChatMessage(
        role="system", blocks=[TextBlock(text=MANUAL), CACHE, TextBlock(text="Today is Monday.")]
    )
    first = llm.chat([system, ChatMessage(role="user", content="What is in the manual?")])
    second = llm.chat([system, ChatMessage(role="user", content="And on page two?")])
    assert vertex_emulator.requests[0].body["system"] == [
        {"type": "text", "text": MANUAL, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Today is Monday."},
    ]
    written, read = first.additional_kwargs["usage"], second.additional_kwargs["usage"]
    assert written["cache_creation_input_tokens"] > 0
    assert written["cache_read_input_tokens"] == 0
    assert read["cache_read_input_tokens"] == written["cache_creation_input_tokens"]
    assert read["cache_creation_input_tokens"] == 0


def test_a_cache_point_marks_the_block_before_it_in_messages(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm()
    history = [
        ChatMessage(role="user", blocks=[TextBlock(text=MANUAL), CACHE]),
        ChatMessage(role="assistant", content="I have read it."),
        ChatMessage(role="user", blocks=[CACHE, TextBlock(text="Summarise it.")]),
    ]
    *_, last = llm.stream_chat(history)
    messages = vertex_emulator.requests[0].body["messages"]
    assert messages[0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert messages[1]["content"][0]["cache_control"] == {"type": "ephemeral"}, (
        "a cache point opening a message marks the end of the previous one"
    )
    assert "cache_control" not in messages[2]["content"][0]
    assert last.additional_kwargs["usage"]["cache_creation_input_tokens"] > 0


def test_a_one_hour_cache_point_is_sent_with_its_ttl(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    hour = CachePoint(cache_control=CacheControl(type="ephemeral", ttl="1h"))
    make_llm().chat([ChatMessage(role="user", blocks=[TextBlock(text=MANUAL), hour])])
    block = vertex_emulator.requests[0].body["messages"][0]["content"][0]
    assert block["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_a_cache_ttl_vertex_does_not_offer_is_refused_before_sending(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    day = CachePoint(cache_control=CacheControl(type="ephemeral", ttl="24h"))
    with pytest.raises(ParameterError, match="'5m' or '1h'"):
        make_llm().chat([ChatMessage(role="user", blocks=[TextBlock(text=MANUAL), day])])
    assert vertex_emulator.requests == []
