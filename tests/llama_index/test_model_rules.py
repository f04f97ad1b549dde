"""Claude's per-model rules through ClaudeVertex: the core's call policy, end to end.

The same inputs as the LangChain adapter's test_model_rules.py, with the same outcomes and
the same warning class: Claude Opus 4.7 with a temperature or budgeted thinking answers
(adapted, one ``CallPolicyWarning``); with a prefill, or pinned to a region that does not
serve it, the call raises before anything is sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage, ChatResponse

from claude_vertex import CallPolicyWarning, ConfigurationError, MessageValidationError
from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.llama_index.support import MakeLLM

OPUS = "claude-opus-4-7"
MODES = ("chat", "achat", "stream_chat", "astream_chat")
HI = [ChatMessage(role="user", content="hi")]


def run(llm: ClaudeVertex, mode: str, messages: list[ChatMessage], **kwargs: Any) -> ChatResponse:
    """One call in ``mode``; the answer (the last streamed response)."""
    if mode == "chat":
        return llm.chat(messages, **kwargs)
    if mode == "achat":
        return asyncio.run(llm.achat(messages, **kwargs))
    if mode == "stream_chat":
        return list(llm.stream_chat(messages, **kwargs))[-1]

    async def collect() -> list[ChatResponse]:
        return [r async for r in await llm.astream_chat(messages, **kwargs)]

    return asyncio.run(collect())[-1]


@pytest.mark.parametrize("mode", MODES)
def test_a_temperature_is_not_sent_and_the_call_answers(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, mode: str
) -> None:
    with pytest.warns(CallPolicyWarning, match=f"{OPUS}.*temperature"):
        llm = make_llm(model=OPUS, temperature=0.2)
    assert run(llm, mode, HI).message.content
    assert "temperature" not in vertex_emulator.requests[-1].body


@pytest.mark.parametrize("mode", MODES)
def test_a_per_call_temperature_is_not_sent_either(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, mode: str
) -> None:
    with pytest.warns(CallPolicyWarning, match="temperature"):
        assert run(make_llm(), mode, HI, model=OPUS, temperature=0.3).message.content
    assert "temperature" not in vertex_emulator.requests[-1].body


@pytest.mark.parametrize("mode", MODES)
def test_budgeted_thinking_is_sent_as_adaptive_thinking(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, mode: str
) -> None:
    with pytest.warns(CallPolicyWarning, match="adaptive"):
        llm = make_llm(model=OPUS, thinking={"type": "enabled", "budget_tokens": 2000})
    assert run(llm, mode, HI).message.content
    assert vertex_emulator.requests[-1].body["thinking"] == {"type": "adaptive"}


@pytest.mark.parametrize("mode", MODES)
def test_a_prefill_raises_before_sending(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, mode: str
) -> None:
    conversation = [
        ChatMessage(role="user", content="Name a colour."),
        ChatMessage(role="assistant", content="The colour is"),
    ]
    with pytest.raises(MessageValidationError, match=f"prefill.*{OPUS}"):
        run(make_llm(model=OPUS), mode, conversation)
    assert vertex_emulator.requests == []


def test_a_region_that_does_not_serve_the_model_raises_before_any_io(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError, match=r"served at global, us, eu.*'us-east5'"):
        make_llm(model=OPUS, region="us-east5")
    pinned = make_llm(region="us-east5")
    for mode in MODES:
        with pytest.raises(ConfigurationError, match="served at global, us, eu"):
            run(pinned, mode, HI, model=OPUS)
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []
