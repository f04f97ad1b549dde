"""Claude's per-model rules through ChatClaudeVertex: the core's call policy, end to end.

Claude Opus 4.7 refuses sampling settings, budgeted thinking and prefills, and is served on
``global``/``us``/``eu`` only. Through the adapter, sync and async, streamed and not, each
such call either answers (adapted, with one ``CallPolicyWarning``) or raises before sending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from claude_vertex import CallPolicyWarning, ConfigurationError, MessageValidationError
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex

OPUS = "claude-opus-4-7"
MODES = ("invoke", "ainvoke", "stream", "astream")
Make = Callable[..., ChatClaudeVertex]


def run(chat: ChatClaudeVertex, mode: str, messages: Any, **kwargs: Any) -> BaseMessage:
    """One call in ``mode``; the answer (streamed chunks added up)."""
    if mode == "invoke":
        return chat.invoke(messages, **kwargs)
    if mode == "ainvoke":
        return asyncio.run(chat.ainvoke(messages, **kwargs))
    if mode == "stream":
        chunks = list(chat.stream(messages, **kwargs))
    else:

        async def collect() -> list[Any]:
            return [chunk async for chunk in chat.astream(messages, **kwargs)]

        chunks = asyncio.run(collect())
    answer = chunks[0]
    for chunk in chunks[1:]:
        answer += chunk
    return answer


@pytest.mark.parametrize("mode", MODES)
def test_a_temperature_is_not_sent_and_the_call_answers(
    make_chat: Make, vertex_emulator: VertexEmulator, mode: str
) -> None:
    with pytest.warns(CallPolicyWarning, match=f"{OPUS}.*temperature"):
        chat = make_chat(model=OPUS, temperature=0.2)
    assert run(chat, mode, "hi").text
    assert "temperature" not in vertex_emulator.requests[-1].body


@pytest.mark.parametrize("mode", MODES)
def test_a_per_call_temperature_is_not_sent_either(
    make_chat: Make, vertex_emulator: VertexEmulator, mode: str
) -> None:
    with pytest.warns(CallPolicyWarning, match="temperature"):
        assert run(make_chat(), mode, "hi", model=OPUS, temperature=0.3).text
    assert "temperature" not in vertex_emulator.requests[-1].body


@pytest.mark.parametrize("mode", MODES)
def test_budgeted_thinking_is_sent_as_adaptive_thinking(
    make_chat: Make, vertex_emulator: VertexEmulator, mode: str
) -> None:
    with pytest.warns(CallPolicyWarning, match="adaptive"):
        chat = make_chat(model=OPUS, thinking={"type": "enabled", "budget_tokens": 2000})
    assert run(chat, mode, "hi").text
    assert vertex_emulator.requests[-1].body["thinking"] == {"type": "adaptive"}


@pytest.mark.parametrize("mode", MODES)
def test_a_prefill_raises_before_sending(
    make_chat: Make, vertex_emulator: VertexEmulator, mode: str
) -> None:
    conversation = [HumanMessage("Name a colour."), AIMessage("The colour is")]
    with pytest.raises(MessageValidationError, match=f"prefill.*{OPUS}"):
        run(make_chat(model=OPUS), mode, conversation)
    assert vertex_emulator.requests == []


def test_a_region_that_does_not_serve_the_model_raises_before_any_io(
    make_chat: Make, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError, match=r"served at global, us, eu.*'us-east5'"):
        make_chat(model=OPUS, region="us-east5")
    pinned = make_chat(region="us-east5")
    for mode in MODES:
        with pytest.raises(ConfigurationError, match="served at global, us, eu"):
            run(pinned, mode, "hi", model=OPUS)
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []
