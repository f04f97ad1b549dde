"""Tool calling and structured output with ChatClaudeVertex, on the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex, convert_to_anthropic_tool

from .support import as_chunks, gather


class GetWeather(BaseModel):
    """Get the current weather in a city."""

    city: str = Field(description="The city, e.g. Paris")
    days: int = Field(default=1, ge=1, le=7)


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return "12:00"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Movie(TypedDict):
    """A film."""

    title: str
    year: int


def last_body(emulator: VertexEmulator) -> dict[str, Any]:
    call = emulator.requests[-1]
    assert call.status == 200, call.body
    return dict(call.body)


# --------------------------------------------------------------------------- binding


def test_tools_of_every_kind_become_anthropic_tool_definitions() -> None:
    web_search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    assert [convert_to_anthropic_tool(t) for t in (GetWeather, get_time, add, web_search)] == [
        {
            "name": "GetWeather",
            "description": "Get the current weather in a city.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "city": {"description": "The city, e.g. Paris", "type": "string"},
                    "days": {"default": 1, "maximum": 7, "minimum": 1, "type": "integer"},
                },
                "required": ["city"],
            },
        },
        {
            "name": "get_time",
            "description": "Get the local time in a city.",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
        {
            "name": "add",
            "description": "Add two integers.",
            "input_schema": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
        web_search,
    ]


def test_bound_tools_are_sent_and_called(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    answer = chat.bind_tools([GetWeather, get_time]).invoke("What is the weather in 'Oslo'?")
    body = last_body(vertex_emulator)
    assert [t["name"] for t in body["tools"]] == ["GetWeather", "get_time"]
    assert "tool_choice" not in body
    assert answer.tool_calls == [
        {
            "name": "GetWeather",
            "args": {"city": "Oslo", "days": 1},
            "id": answer.tool_calls[0]["id"],
            "type": "tool_call",
        }
    ]
    assert answer.response_metadata["stop_reason"] == "tool_use"


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("any", {"type": "any"}),
        ("required", {"type": "any"}),
        (True, {"type": "any"}),
        ("none", {"type": "none"}),
        ("get_time", {"type": "tool", "name": "get_time"}),
        (
            {"type": "function", "function": {"name": "get_time"}},
            {"type": "tool", "name": "get_time"},
        ),
        ({"type": "tool", "name": "add"}, {"type": "tool", "name": "add"}),
    ],
)
def test_tool_choice_forms_reach_the_wire(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    tool_choice: Any,
    expected: dict[str, Any],
) -> None:
    chat.bind_tools([GetWeather, get_time, add], tool_choice=tool_choice).invoke("Hello")
    assert last_body(vertex_emulator)["tool_choice"] == expected


def test_parallel_tool_calls_false_allows_one_call(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    both = chat.bind_tools([GetWeather, get_time], tool_choice="any").invoke("Paris?")
    one = chat.bind_tools(
        [GetWeather, get_time], tool_choice="any", parallel_tool_calls=False
    ).invoke("Paris?")
    assert len(both.tool_calls) == 2
    assert len(one.tool_calls) == 1
    assert last_body(vertex_emulator)["tool_choice"] == {
        "type": "any",
        "disable_parallel_tool_use": True,
    }


def test_strict_tools_carry_the_strict_schema(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    chat.bind_tools([add], strict=True, tool_choice="add").invoke("What is 2 + 3?")
    [definition] = last_body(vertex_emulator)["tools"]
    assert definition["strict"] is True
    assert definition["input_schema"]["additionalProperties"] is False
    assert vertex_emulator.requests[-1].status == 200


def test_tool_arguments_stream_as_tool_call_chunks(chat: ChatClaudeVertex) -> None:
    bound = chat.bind_tools([add], tool_choice="add")
    chunks = as_chunks(bound.stream("What is 2 + 3?"))
    pieces: list[str] = []
    for c in chunks:
        if c.tool_call_chunks:
            args = c.tool_call_chunks[0]["args"]
            assert args is not None
            pieces.append(args)
    assert len(pieces) >= 3
    assert json.loads("".join(pieces)) == {"a": 2, "b": 3}
    full = gather(chunks)
    assert full.tool_calls == [
        {
            "name": "add",
            "args": {"a": 2, "b": 3},
            "id": full.tool_calls[0]["id"],
            "type": "tool_call",
        }
    ]
    assert [b["type"] for b in full.content_blocks] == ["tool_call"]


def test_a_streamed_tool_call_replays_in_the_next_turn(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    bound = chat.bind_tools([add])
    question = HumanMessage("What is 2 + 3? Use add.")
    call = gather(as_chunks(bound.stream([question])))
    result = add_tool.invoke(call.tool_calls[0])
    answer = bound.invoke([question, call, result])
    assert answer.text == "Tool results: 5"
    replayed = last_body(vertex_emulator)["messages"][1]["content"]
    assert replayed[-1] == {
        "type": "tool_use",
        "id": call.tool_calls[0]["id"],
        "name": "add",
        "input": {"a": 2, "b": 3},
    }


add_tool = tool(add)


def test_server_tools_pass_through(chat: ChatClaudeVertex, vertex_emulator: VertexEmulator) -> None:
    web_search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
    chat.bind_tools([web_search, get_time]).invoke("What time is it in Lima?")
    assert last_body(vertex_emulator)["tools"][0] == web_search


# --------------------------------------------------------------------------- structured output


class Person(BaseModel):
    """A person."""

    name: str
    age: int


class _Options(BaseCallbackHandler):
    def __init__(self) -> None:
        self.options: list[Any] = []

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, options: Any = None, **kwargs: Any
    ) -> None:
        self.options.append(options)


@pytest.mark.parametrize(
    "schema",
    [Person, Movie, Person.model_json_schema()],
    ids=["pydantic", "typeddict", "json-schema"],
)
@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_follows_the_schema(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    schema: Any,
    method: Literal["function_calling", "json_schema"],
) -> None:
    handler = _Options()
    result = chat.with_structured_output(schema, method=method).invoke(
        "Make up someone called 'Ada' aged 36", config={"callbacks": [handler]}
    )
    body = last_body(vertex_emulator)
    if method == "json_schema":
        assert body["output_config"]["format"]["type"] == "json_schema"
        assert "tools" not in body
    else:
        assert body["tool_choice"]["type"] == "tool"
        assert "output_config" not in body
    expected = {"title": "Ada", "year": 36} if schema is Movie else {"name": "Ada", "age": 36}
    assert (result.model_dump() if isinstance(result, BaseModel) else result) == expected
    assert isinstance(result, Person) == (schema is Person)
    [options] = handler.options
    assert options["ls_structured_output_format"]["kwargs"]["method"] == method


def test_json_schema_falls_back_to_a_tool_where_the_model_lacks_structured_outputs(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
) -> None:
    old = make_chat(model="claude-3-5-haiku")
    with pytest.warns(UserWarning, match="function_calling"):
        structured = old.with_structured_output(Person, method="json_schema")
    assert isinstance(structured.invoke("Make up 'Bo', 4"), Person)
    assert last_body(vertex_emulator)["tool_choice"] == {"type": "tool", "name": "Person"}


def test_include_raw_returns_the_message_too(chat: ChatClaudeVertex) -> None:
    result = chat.with_structured_output(Person, include_raw=True).invoke("'Cy', 50")
    assert isinstance(result["raw"], AIMessage)
    assert result["parsed"] == Person(name="Cy", age=50)
    assert result["parsing_error"] is None


def test_json_mode_parses_json_from_the_text(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    with_schema = chat.with_structured_output(Person, method="json_mode").invoke("'Di', 7")
    assert with_schema == Person(name="Di", age=7)
    assert last_body(vertex_emulator)["output_config"]["format"]["type"] == "json_schema"
    schemaless = chat.with_structured_output(method="json_mode", include_raw=True)
    result = schemaless.invoke("Reply with a JSON object")
    assert "output_config" not in last_body(vertex_emulator)
    assert result["raw"].text.startswith("Hello! You said:")
    assert result["parsed"] is None
    assert "Invalid json output" in str(result["parsing_error"])


def test_structured_output_streams_partial_objects(chat: ChatClaudeVertex) -> None:
    chunks = list(
        chat.with_structured_output(Person.model_json_schema(), method="json_schema").stream(
            "'Ed', 3"
        )
    )
    assert chunks[-1] == {"name": "Ed", "age": 3}
    assert len(chunks) >= 2


# --------------------------------------------------------------------------- recursive schemas


class TreeNode(BaseModel):
    """A node of a tree."""

    name: str
    children: list[TreeNode] = Field(default_factory=list)


def walk_tree(tree: TreeNode) -> str:
    """Walk a tree and name its nodes."""
    return tree.name


RECURSIVE_TOOLS = {
    "a recursive model": TreeNode,
    "a function of a recursive model": walk_tree,
    "a BaseTool of a recursive model": tool(walk_tree),
    "a JSON schema with $defs": {
        "title": "walk_tree",
        "description": "Walk a tree.",
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/TreeNode"}},
        "$defs": TreeNode.model_json_schema()["$defs"],
    },
}


def _node(schema: dict[str, Any]) -> dict[str, Any]:
    """The definition of a tree node in a sent schema, its ``children`` still recursive."""
    node: dict[str, Any] = schema["$defs"]["TreeNode"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/$defs/TreeNode"}
    return node


@pytest.mark.parametrize("tool_like", RECURSIVE_TOOLS.values(), ids=RECURSIVE_TOOLS.keys())
@pytest.mark.parametrize("strict", [None, True])
def test_a_recursive_schema_keeps_its_recursion(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator, tool_like: Any, strict: bool | None
) -> None:
    """LangChain would inline the references and cut the recursion to ``items: {}``."""
    name = convert_to_anthropic_tool(tool_like)["name"]
    answer = chat.bind_tools([tool_like], tool_choice=name, strict=strict).invoke("Walk it.")
    (sent,) = last_body(vertex_emulator)["tools"]
    assert '"items": {}' not in json.dumps(sent)
    node = _node(sent["input_schema"])
    assert node["properties"]["name"]["type"] == "string"
    assert answer.tool_calls[0]["name"] == name


def test_structured_output_of_a_recursive_model_keeps_its_recursion(
    make_chat: Callable[..., ChatClaudeVertex], vertex_emulator: VertexEmulator
) -> None:
    structured = make_chat(model="claude-sonnet-4-5").with_structured_output(
        TreeNode, method="json_schema"
    )
    tree = structured.invoke("Make a tree.")
    assert isinstance(tree, TreeNode)
    schema = last_body(vertex_emulator)["output_config"]["format"]["schema"]
    assert '"items": {}' not in json.dumps(schema)
    assert _node(schema)["properties"]["children"]["type"] == "array"
