"""Tool calling and structured output through ClaudeVertex, on the emulator."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ToolCallBlock
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool

from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex import ForcedToolChoiceWarning
from tests.llama_index.support import THINKING, MakeLLM, add, get_weather

ADD = FunctionTool.from_defaults(add)
WEATHER = FunctionTool.from_defaults(get_weather)


class Song(BaseModel):
    """A song."""

    title: str
    year: int


def test_tools_are_sent_as_definitions_with_their_json_schema(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    make_llm().chat_with_tools([ADD, WEATHER], user_msg="What is the weather in 'Paris'?")
    body = vertex_emulator.requests[0].body
    assert body["tools"][0] == {
        "name": "add",
        "description": ADD.metadata.description,
        "input_schema": ADD.metadata.get_parameters_dict(),
    }
    assert [t["name"] for t in body["tools"]] == ["add", "get_weather"]
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_tool_calls_come_back_as_tool_call_blocks_and_tool_selections(make_llm: MakeLLM) -> None:
    llm = make_llm()
    response = llm.chat_with_tools([ADD, WEATHER], user_msg="What is the weather in 'Paris'?")
    (call,) = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert call.tool_name == "get_weather"
    assert (call.tool_call_id or "").startswith("toolu_vrtx_")
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name) == (call.tool_call_id, "get_weather")
    assert selection.tool_kwargs == {"city": "Paris"}
    assert response.additional_kwargs["stop_reason"] == "tool_use"


def test_an_answer_without_tool_calls_raises_only_when_asked_to(make_llm: MakeLLM) -> None:
    llm = make_llm()
    response = llm.chat(
        [ChatMessage(role="user", content="Hey Claude!")],
    )
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="at least one tool call"):
        llm.get_tool_calls_from_response(response)


@pytest.mark.parametrize(
    ("options", "sent"),
    [
        ({"tool_required": True}, {"type": "any", "disable_parallel_tool_use": True}),
        (
            {"tool_choice": "add"},
            {"type": "tool", "name": "add", "disable_parallel_tool_use": True},
        ),
        ({"tool_choice": "none"}, {"type": "none"}),
        ({"tool_required": True, "allow_parallel_tool_calls": True}, {"type": "any"}),
        ({"tool_choice": {"type": "any"}, "allow_parallel_tool_calls": True}, {"type": "any"}),
    ],
)
def test_tool_choice_follows_tool_required_tool_choice_and_parallel_calls(
    make_llm: MakeLLM,
    vertex_emulator: VertexEmulator,
    options: dict[str, object],
    sent: dict[str, object],
) -> None:
    make_llm().chat_with_tools([ADD, WEATHER], user_msg="Hello", **options)  # type: ignore[arg-type]
    assert vertex_emulator.requests[0].body["tool_choice"] == sent


def test_parallel_tool_calls_are_kept_only_when_allowed(make_llm: MakeLLM) -> None:
    llm = make_llm()
    both = llm.chat_with_tools(
        [ADD, WEATHER], user_msg="Hello", tool_choice="any", allow_parallel_tool_calls=True
    )
    assert [s.tool_name for s in llm.get_tool_calls_from_response(both)] == ["add", "get_weather"]
    # A caller that does not allow parallel calls never sees more than one.
    one = llm._validate_chat_with_tools_response(both, [ADD, WEATHER])
    assert [s.tool_name for s in llm.get_tool_calls_from_response(one)] == ["add"]
    assert [c["name"] for c in one.message.additional_kwargs["tool_calls"]] == ["add"]


def test_tool_results_merge_into_one_user_turn_after_the_calls(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm()
    question = ChatMessage(role="user", content="Add 2 and 3, and the weather in 'Oslo'.")
    calls = llm.chat_with_tools(
        [ADD, WEATHER], chat_history=[question], tool_choice="any", allow_parallel_tool_calls=True
    )
    results = [
        ChatMessage(
            role="tool",
            content=str(call.tool_kwargs),
            additional_kwargs={"tool_call_id": call.tool_id},
        )
        for call in llm.get_tool_calls_from_response(calls)
    ]
    history = [
        question,
        calls.message,
        *results,
        ChatMessage(role="user", content="Summarise, please."),
    ]
    answer = llm.chat_with_tools(
        [ADD, WEATHER], chat_history=history, allow_parallel_tool_calls=True
    )
    sent = vertex_emulator.requests[-1]
    assert sent.status == 200
    roles = [m["role"] for m in sent.body["messages"]]
    assert roles == ["user", "assistant", "user"]
    turn = sent.body["messages"][2]["content"]
    assert [b["type"] for b in turn] == ["tool_result", "tool_result", "text"]
    assert [b["tool_use_id"] for b in turn[:2]] == [
        r.additional_kwargs["tool_call_id"] for r in results
    ]
    assert answer.message.content is not None
    assert answer.message.content.startswith("Tool results: ")


def test_tool_results_carry_images_and_error_flags(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    from llama_index.core.base.llms.types import ImageBlock

    from tests.llama_index.support import PNG

    llm = make_llm()
    question = ChatMessage(role="user", content="Show me the weather in 'Rome'.")
    calls = llm.chat_with_tools([WEATHER], chat_history=[question], tool_required=True)
    (call,) = llm.get_tool_calls_from_response(calls)
    result = ChatMessage(
        role="tool",
        blocks=[TextBlock(text="Radar:"), ImageBlock(image=PNG)],
        additional_kwargs={"tool_call_id": call.tool_id, "is_error": False},
    )
    llm.chat([question, calls.message, result])
    (sent_result,) = vertex_emulator.requests[-1].body["messages"][2]["content"]
    assert sent_result["is_error"] is False
    assert [b["type"] for b in sent_result["content"]] == ["text", "image"]


def test_streamed_tool_arguments_grow_into_the_complete_call(make_llm: MakeLLM) -> None:
    llm = make_llm()
    chunks = list(
        llm.stream_chat_with_tools(
            [WEATHER], user_msg="Weather in 'Reykjavik'?", tool_required=True
        )
    )
    partial = [llm.get_tool_calls_from_response(c, error_on_no_tool_call=False) for c in chunks]
    arguments = [calls[0].tool_kwargs for calls in partial if calls]
    assert len(arguments) > 2, "arguments arrive in several pieces"
    assert arguments[0] != arguments[-1]
    assert arguments[-1] == {"city": "Reykjavik"}
    assert all(c.delta == "" for c in chunks), "argument JSON is not streamed as text"
    assert chunks[-1].additional_kwargs["stop_reason"] == "tool_use"


def test_assistant_tool_calls_of_older_integrations_are_replayed(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    legacy = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "toolu_01", "name": "add", "input": {"a": 2, "b": 3}, "type": "tool_use"}
            ]
        },
    )
    make_llm().chat_with_tools(
        [ADD],
        chat_history=[
            ChatMessage(role="user", content="Add 2 and 3."),
            legacy,
            ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "toolu_01"}),
        ],
    )
    sent = vertex_emulator.requests[0]
    assert sent.status == 200
    assert sent.body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "toolu_01", "name": "add", "input": {"a": 2, "b": 3}}
    ]


def test_a_tool_call_without_an_id_is_refused_before_sending(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    call = ChatMessage(
        role="assistant", blocks=[ToolCallBlock(tool_name="add", tool_kwargs={"a": 1})]
    )
    with pytest.raises(ValueError, match="tool_call_id"):
        make_llm().chat([ChatMessage(role="user", content="Add."), call])
    assert vertex_emulator.requests == []


def test_forced_tool_use_becomes_auto_while_thinking(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(thinking=THINKING)
    with pytest.warns(ForcedToolChoiceWarning):
        response = llm.chat_with_tools([ADD], user_msg="Add 2 and 3.", tool_required=True)
    assert vertex_emulator.requests[0].body["tool_choice"] == {
        "type": "auto",
        "disable_parallel_tool_use": True,
    }
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"a": 2, "b": 3}


def test_predict_and_call_runs_the_tool(make_llm: MakeLLM) -> None:
    output = make_llm().predict_and_call([ADD], user_msg="Add 2 and 3.")
    assert output.response == "5"


def test_structured_predict_returns_the_output_class(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    song = make_llm().structured_predict(Song, PromptTemplate("A song from {year}."), year="1999")
    assert isinstance(song, Song)
    assert song.year == 1999, "the emulated model copies the number it was given"
    body = vertex_emulator.requests[0].body
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["tools"][0]["name"] == "Song"


async def test_astructured_predict_and_as_structured_llm(make_llm: MakeLLM) -> None:
    llm = make_llm()
    song = await llm.astructured_predict(Song, PromptTemplate("A song from {year}."), year="2001")
    assert song == Song(title="example", year=2001)
    structured = llm.as_structured_llm(Song)
    response = structured.chat([ChatMessage(role="user", content="A song from 1984.")])
    assert Song.model_validate_json(response.message.content or "") == Song(
        title="example", year=1984
    )


def test_structured_predict_works_while_thinking(make_llm: MakeLLM) -> None:
    llm = make_llm(model="claude-sonnet-4-6", thinking={"type": "adaptive"})
    with pytest.warns(ForcedToolChoiceWarning):
        song = llm.structured_predict(Song, PromptTemplate("A song from {year}."), year="1969")
    assert song.year == 1969


def test_stream_structured_predict_fills_the_object_as_arguments_arrive(
    make_llm: MakeLLM,
) -> None:
    prompt = PromptTemplate("The song {title} from {year}.")
    partials = list(
        make_llm().stream_structured_predict(Song, prompt, title="'Yesterday'", year="1965")
    )
    assert len(partials) > 2
    assert partials[0].model_dump() != partials[-1].model_dump(), "filled in as it streams"
    assert partials[-1].model_dump() == {"title": "Yesterday", "year": 1965}
