"""Emulator answers the LangChain adapter's tests rely on, checked at the HTTP level.

Tool arguments and JSON drawn from the user's text, citations of documents that enable them,
redacted thinking on Anthropic's documented trigger (and refusal of tampered redacted data),
the validation of a document's citations setting, and a ``request-id`` on every answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from claude_vertex.testing import VertexEmulator
from claude_vertex.testing.schema_examples import ArgumentHints, example_from_schema
from claude_vertex.testing.thinking import REDACTED_THINKING_TRIGGER

SONNET = "claude-sonnet-4-5@20250929"
REGION = "us-east5"
THINKING = {"type": "enabled", "budget_tokens": 1024}
ADD = {
    "name": "add",
    "input_schema": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
}

Send = Callable[..., httpx2.Response]


@pytest.fixture
def send(vertex_emulator: VertexEmulator) -> Send:
    headers = {"Authorization": f"Bearer {vertex_emulator.issue_token()}"}

    def post(*content: Any, stream: bool = False, **extra: Any) -> httpx2.Response:
        body = {
            "anthropic_version": "vertex-2023-10-16",
            "max_tokens": 2048,
            "messages": extra.pop("messages", None) or [{"role": "user", "content": list(content)}],
            **extra,
        }
        if stream:
            body["stream"] = True
        url = vertex_emulator.model_url(SONNET, REGION, stream=stream)
        return httpx2.post(url, json=body, headers=headers)

    return post


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def events(response: httpx2.Response) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]


def test_tool_arguments_take_the_numbers_and_quoted_strings_of_the_users_text(
    send: Send,
) -> None:
    greet = {
        "name": "greet",
        "input_schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "times": {"type": "integer", "maximum": 5},
                "style": {"type": "string"},
            },
        },
    }
    answer = send(
        text("Greet '你好啊集团' 9 times, no: 3 times"),
        tools=[greet, ADD],
        tool_choice={"type": "tool", "name": "greet"},
    ).json()
    assert answer["content"][0]["input"] == {"name": "你好啊集团", "times": 3, "style": "example"}


def test_hints_fit_the_schema_or_are_left_unused() -> None:
    hints = ArgumentHints("Pick 2.5 then 'ab' and 7 and \"a longer string\"")
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "x": {"type": "number"},
            "short": {"type": "string", "maxLength": 3},
            "when": {"type": "string", "format": "date"},
        },
    }
    assert example_from_schema(schema, hints) == {
        "n": 7,
        "x": 2.5,
        "short": "ab",
        "when": "2025-01-01",
    }
    assert hints.strings == ["a longer string"]
    assert ArgumentHints("What's it like? It's 'fine'.").strings == ["fine"]


def test_json_output_takes_values_from_the_users_text(send: Send) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    }
    answer = send(
        text("Invent 'Ada', 36"),
        output_config={"format": {"type": "json_schema", "schema": schema}},
    ).json()
    assert json.loads(answer["content"][0]["text"]) == {"name": "Ada", "age": 36}


def test_documents_that_enable_citations_are_cited(send: Send) -> None:
    doc = {
        "type": "document",
        "title": "Facts",
        "citations": {"enabled": True},
        "source": {
            "type": "text",
            "media_type": "text/plain",
            "data": "Water boils at 100 C. It freezes at 0 C.",
        },
    }
    uncited = {**doc, "citations": {"enabled": False}, "title": "Other"}
    answer = send(uncited, doc, text("When does water boil?")).json()
    cited = [b for b in answer["content"] if b.get("citations")]
    assert cited == [
        {
            "type": "text",
            "text": "Water boils at 100 C.",
            "citations": [
                {
                    "type": "char_location",
                    "cited_text": "Water boils at 100 C.",
                    "document_index": 1,
                    "document_title": "Facts",
                    "start_char_index": 0,
                    "end_char_index": 21,
                }
            ],
        }
    ]


def test_search_results_and_content_documents_are_cited(send: Send) -> None:
    result = {
        "type": "search_result",
        "source": "https://example.com/tides",
        "title": "Tides",
        "content": [text("Tides follow the moon. Twice a day.")],
        "citations": {"enabled": True},
    }
    content_doc = {
        "type": "document",
        "citations": {"enabled": True},
        "source": {"type": "content", "content": [text("Section one.")]},
    }
    answer = send(result, content_doc, text("Why tides?")).json()
    citations = [b["citations"][0] for b in answer["content"] if b.get("citations")]
    assert [c["type"] for c in citations] == ["search_result_location", "content_block_location"]
    assert citations[0]["cited_text"] == "Tides follow the moon."
    assert citations[0]["source"] == "https://example.com/tides"
    assert citations[1]["cited_text"] == "Section one."


def test_citations_stream_as_citations_deltas_before_the_text(send: Send) -> None:
    doc = {
        "type": "document",
        "citations": {"enabled": True},
        "source": {"type": "text", "media_type": "text/plain", "data": "Sky is blue."},
    }
    stream = events(send(doc, text("Colour?"), stream=True))
    deltas = [
        e["delta"]["type"] for e in stream if e["type"] == "content_block_delta" and e["index"] == 1
    ]
    assert deltas[0] == "citations_delta"
    assert set(deltas[1:]) == {"text_delta"}


def test_a_malformed_citations_setting_is_refused(send: Send) -> None:
    doc = {
        "type": "document",
        "citations": {"enabled": "yes"},
        "source": {"type": "text", "media_type": "text/plain", "data": "x"},
    }
    refused = send(doc, text("?"))
    assert refused.status_code == 400
    assert "citations.enabled: Input should be a valid boolean" in refused.text


def test_the_documented_trigger_makes_redacted_thinking_that_must_come_back_intact(
    send: Send,
) -> None:
    answer = send(text(REDACTED_THINKING_TRIGGER), thinking=THINKING, tools=[ADD]).json()
    redacted = answer["content"][0]
    assert redacted["type"] == "redacted_thinking"
    call = answer["content"][-1]
    result = {"type": "tool_result", "tool_use_id": call["id"], "content": "3"}
    history = [
        {"role": "user", "content": [text(REDACTED_THINKING_TRIGGER)]},
        {"role": "assistant", "content": answer["content"]},
        {"role": "user", "content": [result]},
    ]
    assert send(messages=history, thinking=THINKING, tools=[ADD]).status_code == 200
    history[1] = {
        "role": "assistant",
        "content": [
            {"type": "redacted_thinking", "data": redacted["data"][:-8] + "AAAAAAA="},
            *answer["content"][1:],
        ],
    }
    tampered = send(messages=history, thinking=THINKING, tools=[ADD])
    assert tampered.status_code == 400
    assert "Invalid `data` in `redacted_thinking` block" in tampered.text
    streamed = events(send(text(REDACTED_THINKING_TRIGGER), thinking=THINKING, stream=True))
    start = next(e for e in streamed if e["type"] == "content_block_start")
    assert start["content_block"]["type"] == "redacted_thinking"


def test_every_answer_carries_a_request_id(send: Send) -> None:
    assert send(text("hi")).headers["request-id"].startswith("req_vrtx_")
    assert send(text("hi"), stream=True).headers["request-id"].startswith("req_vrtx_")
    assert send(text("hi"), top_k=-1).headers["request-id"].startswith("req_vrtx_")
