"""Extended and adaptive thinking through ClaudeVertex: returned, streamed, replayed."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock
from llama_index.core.tools import FunctionTool

from claude_vertex import InvalidRequestError
from claude_vertex.testing import VertexEmulator
from claude_vertex.testing.thinking import REDACTED_THINKING_TRIGGER
from tests.llama_index.support import THINKING, MakeLLM, add


def user(text: str) -> ChatMessage:
    return ChatMessage(role="user", content=text)


def test_thinking_comes_back_as_a_signed_thinking_block_first(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    response = make_llm(thinking=THINKING).chat([user("Why is the sky blue?")])
    thinking, text = response.message.blocks
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content == "Let me think about: Why is the sky blue?"
    assert thinking.additional_information["signature"]
    assert isinstance(text, TextBlock)
    assert response.message.content == "Hello! You said: Why is the sky blue?"
    assert vertex_emulator.requests[0].body["thinking"] == THINKING


def test_thinking_blocks_are_replayed_with_their_signature(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(thinking=THINKING)
    first = llm.chat([user("Why is the sky blue?")])
    llm.chat([user("Why is the sky blue?"), first.message, user("And at sunset?")])
    replayed = vertex_emulator.requests[1]
    assert replayed.status == 200, "the emulator accepted the signature"
    assert replayed.body["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "Let me think about: Why is the sky blue?",
        "signature": first.message.blocks[0].additional_information["signature"],
    }


def test_a_tampered_thinking_block_is_refused_by_vertex(make_llm: MakeLLM) -> None:
    llm = make_llm(thinking=THINKING)
    first = llm.chat([user("Why is the sky blue?")])
    thinking = first.message.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    thinking.content = "Something I did not think."
    with pytest.raises(InvalidRequestError, match="signature"):
        llm.chat([user("Why is the sky blue?"), first.message, user("And at sunset?")])


def test_thinking_without_a_signature_is_not_sent(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    other_provider = ChatMessage(
        role="assistant",
        blocks=[ThinkingBlock(content="unsigned thoughts"), TextBlock(text="Blue light scatters.")],
    )
    make_llm().chat([user("Why is the sky blue?"), other_provider, user("Thanks!")])
    assert vertex_emulator.requests[0].body["messages"][1]["content"] == [
        {"type": "text", "text": "Blue light scatters."}
    ]


def test_redacted_thinking_is_kept_and_replayed(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(thinking=THINKING)
    first = llm.chat([user(REDACTED_THINKING_TRIGGER)])
    redacted = first.message.blocks[0]
    assert isinstance(redacted, ThinkingBlock)
    assert redacted.content is None
    data = redacted.additional_information["redacted_thinking"]
    llm.chat([user(REDACTED_THINKING_TRIGGER), first.message, user("Go on.")])
    assert vertex_emulator.requests[1].status == 200
    assert vertex_emulator.requests[1].body["messages"][1]["content"][0] == {
        "type": "redacted_thinking",
        "data": data,
    }


def test_streamed_thinking_arrives_as_thinking_delta(make_llm: MakeLLM) -> None:
    chunks = list(make_llm(thinking=THINKING).stream_chat([user("Why is the sky blue?")]))
    deltas = [
        c.additional_kwargs["thinking_delta"]
        for c in chunks
        if "thinking_delta" in c.additional_kwargs
    ]
    assert len(deltas) > 1
    assert "".join(deltas) == "Let me think about: Why is the sky blue?"
    assert all(c.delta == "" for c in chunks if "thinking_delta" in c.additional_kwargs)
    final = chunks[-1].message.blocks[0]
    assert isinstance(final, ThinkingBlock)
    assert final.content == "".join(deltas)
    assert final.additional_information["signature"], "signature_delta was kept"


async def test_a_streamed_thinking_tool_loop_replays_the_thinking_first(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(thinking=THINKING)
    tool = FunctionTool.from_defaults(add)
    question = user("Add 2 and 3.")
    *_, calls = [
        c async for c in await llm.astream_chat_with_tools([tool], chat_history=[question])
    ]
    (call,) = llm.get_tool_calls_from_response(calls)
    result = ChatMessage(
        role="tool",
        content=str(add(**call.tool_kwargs)),
        additional_kwargs={"tool_call_id": call.tool_id},
    )
    answer = await llm.achat_with_tools([tool], chat_history=[question, calls.message, result])
    assert answer.message.content == "Tool results: 5"
    sent = vertex_emulator.requests[-1]
    assert sent.status == 200
    assert [b["type"] for b in sent.body["messages"][1]["content"]] == [
        "thinking",
        "text",
        "tool_use",
    ]


def test_adaptive_thinking_and_effort_reach_the_wire(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(model="claude-opus-4-6", thinking={"type": "adaptive"}, effort="low")
    response = llm.chat([user("Plan a trip.")])
    assert isinstance(response.message.blocks[0], ThinkingBlock)
    body = vertex_emulator.requests[0].body
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "low"}
    assert vertex_emulator.requests[0].path.endswith("/claude-opus-4-6:rawPredict")
