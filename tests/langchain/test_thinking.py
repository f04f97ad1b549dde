"""Extended, adaptive and redacted thinking: returned, streamed, and replayed on the next turn.

The emulator signs the thinking it returns and refuses replayed blocks whose signature (or
redacted data) it did not make, and thinking tool loops whose assistant turn does not open
with a thinking block, as Vertex does.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from claude_vertex.testing import VertexEmulator
from claude_vertex.testing.thinking import REDACTED_THINKING_TRIGGER
from langchain_claude_vertex import ChatClaudeVertex, ThinkingConflictWarning

from .support import THINKING, as_chunks, block, blocks, gather


@tool
def lookup(topic: str) -> str:
    """Look up a topic in the encyclopedia."""
    return f"{topic}: a city on the Seine"


@pytest.fixture
def thinker(make_chat: Callable[..., ChatClaudeVertex]) -> ChatClaudeVertex:
    return make_chat(thinking=THINKING, max_tokens=4096)


def test_thinking_is_returned_with_its_signature(
    thinker: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    answer = thinker.invoke("Why is the sky blue?")
    assert isinstance(answer.content, list)
    thinking, text = answer.content
    assert isinstance(thinking, dict)
    assert isinstance(text, dict)
    assert thinking["type"] == "thinking"
    assert thinking["thinking"] == "Let me think about: Why is the sky blue?"
    assert thinking["signature"]
    assert text == {"type": "text", "text": "Hello! You said: Why is the sky blue?"}
    assert answer.text == "Hello! You said: Why is the sky blue?"
    assert [b["type"] for b in answer.content_blocks] == ["reasoning", "text"]
    assert vertex_emulator.requests[0].body["thinking"] == THINKING


def test_adaptive_thinking_and_effort_reach_the_wire(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
) -> None:
    model = make_chat(model="claude-opus-4-6", thinking={"type": "adaptive"}, effort="low")
    answer = model.invoke("Plan a trip")
    body = vertex_emulator.requests[0].body
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "low"}
    assert block(answer)["type"] == "thinking"


def test_streamed_thinking_gathers_into_a_signed_block(thinker: ChatClaudeVertex) -> None:
    chunks = list(thinker.stream("Why is the sky blue?"))
    thinking_deltas = [c for c in chunks if c.content and block(c).get("thinking")]
    assert len(thinking_deltas) > 1
    full = gather(chunks)
    thinking, text = blocks(full)
    assert thinking["thinking"] == "Let me think about: Why is the sky blue?"
    assert thinking["signature"]
    assert text["text"] == "Hello! You said: Why is the sky blue?"


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_a_thinking_tool_loop_replays_the_signed_thinking(
    thinker: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    mode: str,
) -> None:
    bound = thinker.bind_tools([lookup])
    question = HumanMessage("Look up 'Paris' in the encyclopedia")
    call = (
        bound.invoke([question])
        if mode == "invoke"
        else gather(as_chunks(bound.stream([question])))
    )
    assert isinstance(call, AIMessage)
    result = lookup.invoke(call.tool_calls[0])

    answer = bound.invoke([question, call, result])

    assert answer.text == "Tool results: Paris: a city on the Seine"
    replayed = vertex_emulator.requests[-1].body["messages"][1]["content"]
    assert [b["type"] for b in replayed] == ["thinking", "text", "tool_use"]
    assert all(c.status == 200 for c in vertex_emulator.requests)


def test_a_tampered_thinking_block_is_refused(thinker: ChatClaudeVertex) -> None:
    from claude_vertex import InvalidRequestError

    bound = thinker.bind_tools([lookup])
    question = HumanMessage("Look up 'Rome'")
    call = bound.invoke([question])
    tampered = call.model_copy(
        update={"content": [{**block(call), "thinking": "I changed my mind"}, *call.content[1:]]}
    )
    with pytest.raises(InvalidRequestError, match="Invalid `signature`"):
        bound.invoke([question, tampered, lookup.invoke(call.tool_calls[0])])


def test_redacted_thinking_is_returned_streamed_and_replayed(
    thinker: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    bound = thinker.bind_tools([lookup])
    question = HumanMessage(f"{REDACTED_THINKING_TRIGGER} Look up 'Lyon'")
    answer = bound.invoke([question])
    redacted = block(answer)
    assert redacted["type"] == "redacted_thinking"
    assert redacted["data"]
    streamed = gather(as_chunks(bound.stream([question])))
    assert block(streamed)["type"] == "redacted_thinking"
    assert block(streamed)["data"] == redacted["data"]

    bound.invoke([question, streamed, lookup.invoke(streamed.tool_calls[0])])

    replayed = vertex_emulator.requests[-1].body["messages"][1]["content"][0]
    assert replayed == {"type": "redacted_thinking", "data": redacted["data"]}
    assert vertex_emulator.requests[-1].status == 200


def test_v1_content_with_reasoning_blocks_replays(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
) -> None:
    bound = make_chat(thinking=THINKING, max_tokens=4096, output_version="v1").bind_tools([lookup])
    question = HumanMessage("Look up 'Nice'")
    call = bound.invoke([question])
    assert [b["type"] for b in blocks(call)] == ["reasoning", "text", "tool_call"]
    bound.invoke([question, call, lookup.invoke(call.tool_calls[0])])
    replayed = vertex_emulator.requests[-1].body["messages"][1]["content"]
    assert [b["type"] for b in replayed] == ["thinking", "text", "tool_use"]
    assert vertex_emulator.requests[-1].status == 200


def test_a_forced_tool_choice_is_dropped_with_a_warning_when_thinking(
    thinker: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    bound = thinker.bind_tools([lookup], tool_choice="lookup", parallel_tool_calls=False)
    with pytest.warns(ThinkingConflictWarning, match="tool_choice"):
        answer = bound.invoke("Look up 'Bern'")
    assert vertex_emulator.requests[0].body["tool_choice"] == {
        "type": "auto",
        "disable_parallel_tool_use": True,
    }
    assert answer.tool_calls[0]["args"] == {"topic": "Bern"}


def test_sampling_settings_thinking_refuses_are_dropped_with_a_warning(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
) -> None:
    with pytest.warns(ThinkingConflictWarning) as caught:
        model = make_chat(thinking=THINKING, max_tokens=4096, temperature=0.2, top_k=5, top_p=0.5)
    assert len(caught) == 3, "at construction, once per setting"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not again per call
        model.invoke("hi")
    body = vertex_emulator.requests[0].body
    assert not {"temperature", "top_k", "top_p"} & set(body)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_chat(thinking=THINKING, max_tokens=4096, temperature=1, top_p=0.95).invoke("hi")


def test_without_thinking_earlier_thinking_blocks_are_not_sent(
    thinker: ChatClaudeVertex,
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
) -> None:
    first = thinker.invoke("Hello")
    foreign = AIMessage(
        [
            {
                "type": "thinking",
                "thinking": "from another deployment",
                "signature": "ErUBCkYICBgCIkDC",
            },
            {"type": "text", "text": "Hi!"},
        ]
    )
    plain = make_chat()
    plain.invoke(
        [HumanMessage("Hello"), first, HumanMessage("And?"), foreign, HumanMessage("Well?")]
    )
    body = vertex_emulator.requests[-1].body
    assert vertex_emulator.requests[-1].status == 200
    sent_types = [b["type"] for m in body["messages"] for b in m["content"]]
    assert "thinking" not in sent_types
