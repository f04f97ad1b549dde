"""What the emulator rejects, one case per rule, and what it accepts that looks close."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from claude_vertex import resolve_model
from claude_vertex.testing import VertexEmulator
from claude_vertex.testing.rules import RequestContext, check_request

SONNET = "claude-sonnet-4-5@20250929"
REGION = "us-east5"
VERSION = "vertex-2023-10-16"
REMOVE = object()

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n").decode()
LOOKUP = {"name": "lookup", "description": "Look a thing up", "input_schema": {"type": "object"}}
THINKING = {"type": "enabled", "budget_tokens": 1024}


def user(*content: Any) -> dict[str, Any]:
    return {
        "role": "user",
        "content": list(content)
        if len(content) != 1 or not isinstance(content[0], str)
        else content[0],
    }


def assistant(*content: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": list(content)}


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def image(data: str = PNG, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def tool_use(tool_id: str = "toolu_1", **extra: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": "lookup", "input": {}, **extra}


def tool_result(tool_id: str = "toolu_1", **extra: Any) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": "ok", **extra}


def loop(*answer: Any) -> list[dict[str, Any]]:
    """A conversation that ends with the user answering the assistant's tool call."""
    return [user("look it up"), assistant(tool_use()), user(*answer)]


def request(route: str = "create", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "anthropic_version": VERSION,
        "max_tokens": 2048,
        "messages": [user("Hello")],
    }
    if route == "stream":
        body["stream"] = True
    if route == "count_tokens":
        body = {"model": SONNET, "messages": [user("Hello")]}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not REMOVE}


@dataclass
class Case:
    expect: str
    body: dict[str, Any]
    route: str = "create"
    url_model: str = SONNET
    headers: dict[str, str] = field(default_factory=dict)


def case(
    case_id: str,
    expect: str,
    route: str = "create",
    url_model: str = SONNET,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> Any:
    """One request; ``overrides`` replace (or, as ``REMOVE``, drop) fields of the body."""
    return pytest.param(
        Case(expect, request(route, **overrides), route, url_model, headers or {}), id=case_id
    )


def cached(n: int) -> list[dict[str, Any]]:
    return [text(f"block {i}", cache_control={"type": "ephemeral"}) for i in range(n)]


REJECTED = [
    # Vertex envelope
    case("model-in-body", "model: Extra inputs are not permitted", model=SONNET),
    case("extra-field", "foo: Extra inputs are not permitted", foo=1),
    case("version-missing", "anthropic_version: Field required", anthropic_version=REMOVE),
    case(
        "version-first-party", "anthropic_version: Input should be", anthropic_version="2023-06-01"
    ),
    case("stream-on-create", "stream:", stream=True),
    case("no-stream-on-stream", "stream:", route="stream", stream=REMOVE),
    case(
        "unknown-beta",
        "Unexpected value(s) `files-api-2025-04-14` for the `anthropic-beta` header",
        headers={"anthropic-beta": "interleaved-thinking-2025-05-14, files-api-2025-04-14"},
    ),
    case(
        "refused-but-not-needed-beta",
        "Unexpected value(s) `prompt-caching-2024-07-31`",
        headers={"anthropic-beta": "prompt-caching-2024-07-31"},
    ),
    case(
        "body-only-beta-in-header",
        "Unexpected value(s) `context-1m-2025-08-07`",
        headers={"anthropic-beta": "context-1m-2025-08-07"},
    ),
    case(
        "beta-count-tokens-refuses",
        "Unexpected value(s) `fine-grained-tool-streaming-2025-05-14`",
        route="count_tokens",
        headers={"anthropic-beta": "fine-grained-tool-streaming-2025-05-14"},
    ),
    case(
        "unknown-body-beta",
        "anthropic_beta: Unexpected value(s) `mcp-client-2025-04-04`",
        anthropic_beta=["mcp-client-2025-04-04"],
    ),
    case("count-tokens-without-model", "model: Field required", route="count_tokens", model=REMOVE),
    case("count-tokens-max-tokens", "max_tokens: Extra inputs", route="count_tokens", max_tokens=5),
    # max_tokens
    case("max-tokens-missing", "max_tokens: Field required", max_tokens=REMOVE),
    case("max-tokens-zero", "max_tokens: Input should be an integer", max_tokens=0),
    case("max-tokens-not-int", "max_tokens: Input should be an integer", max_tokens="10"),
    case("max-tokens-over-model-limit", "max_tokens: 64001 > 64000", max_tokens=64_001),
    # thinking
    case(
        "thinking-budget-small",
        "budget_tokens: Input should be greater than or equal to 1024",
        thinking={"type": "enabled", "budget_tokens": 1000},
    ),
    case(
        "thinking-budget-over-max",
        "`max_tokens` must be greater than `thinking.budget_tokens`",
        thinking={"type": "enabled", "budget_tokens": 4096},
    ),
    case("thinking-unknown-type", "thinking: Input tag 'on'", thinking={"type": "on"}),
    case(
        "adaptive-on-non-adaptive-model",
        "adaptive thinking is not supported",
        thinking={"type": "adaptive"},
    ),
    case(
        "thinking-on-non-thinking-model",
        "extended thinking is not supported",
        url_model="claude-3-5-haiku@20241022",
        max_tokens=4096,
        thinking=THINKING,
    ),
    case(
        "thinking-temperature",
        "temperature: `temperature` may only be set to 1",
        thinking=THINKING,
        temperature=0.5,
    ),
    case("thinking-top-k", "top_k: `top_k` is not supported", thinking=THINKING, top_k=5),
    case(
        "thinking-top-p", "top_p: `top_p` must be between 0.95 and 1", thinking=THINKING, top_p=0.5
    ),
    case(
        "thinking-forced-tool",
        "Thinking may not be enabled when tool_choice forces tool use.",
        thinking=THINKING,
        tools=[LOOKUP],
        tool_choice={"type": "any"},
    ),
    case(
        "thinking-loop-without-thinking-block",
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        "`tool_use`",
        thinking=THINKING,
        tools=[LOOKUP],
        messages=loop(tool_result()),
    ),
    case(
        "forged-thinking-signature",
        "messages.1.content.0.signature: Invalid `signature`",
        messages=[
            user("q"),
            assistant({"type": "thinking", "thinking": "hm", "signature": "x"}, text("a")),
            user("more"),
        ],
    ),
    case(
        "thinking-block-without-signature",
        "messages.1.content.0.signature: Input should be",
        messages=[user("q"), assistant({"type": "thinking", "thinking": "hm"}), user("more")],
    ),
    case(
        "redacted-thinking-without-data",
        "messages.1.content.0.data: Input should be",
        messages=[user("q"), assistant({"type": "redacted_thinking"}), user("more")],
    ),
    # messages
    case("messages-empty", "messages: Input should be a non-empty list", messages=[]),
    case(
        "role-unknown",
        "messages.0.role: Input should be 'user' or 'assistant'",
        messages=[{"role": "system", "content": "x"}],
    ),
    case(
        "first-is-assistant",
        'first message must use the "user" role',
        messages=[assistant(text("hi")), user("x")],
    ),
    case(
        "content-empty-string",
        "messages.0.content: text content must contain non-whitespace",
        messages=[user("")],
    ),
    case(
        "content-empty-list",
        "messages.0.content: messages must have non-empty content",
        messages=[{"role": "user", "content": []}],
    ),
    case(
        "whitespace-text-block",
        "messages.0.content.0.text: text content blocks must contain",
        messages=[user(text("  \n"))],
    ),
    case(
        "final-assistant-trailing-whitespace",
        "messages.1.content.0: final assistant content",
        messages=[user("x"), assistant(text("The answer is "))],
    ),
    case(
        "message-extra-key",
        "messages.0.name: Extra inputs are not permitted",
        messages=[{"role": "user", "content": "x", "name": "bob"}],
    ),
    case(
        "unknown-block-type",
        "messages.0.content.0.type: Input tag 'video'",
        messages=[user({"type": "video"})],
    ),
    case(
        "assistant-block-in-user-turn",
        "messages.0.content.0.type: Input tag 'tool_use'",
        messages=[user(tool_use())],
    ),
    case(
        "user-block-in-assistant-turn",
        "messages.1.content.0.type: Input tag 'image'",
        messages=[user("x"), assistant(image()), user("y")],
    ),
    case(
        "block-extra-key",
        "messages.0.content.0.foo: Extra inputs are not permitted",
        messages=[user(text("x", foo=1))],
    ),
    # images and documents
    case(
        "image-url-source",
        "messages.0.content.0.source.type: 'url' sources are not supported",
        messages=[user({"type": "image", "source": {"type": "url", "url": "https://x/y.png"}})],
    ),
    case(
        "image-file-source",
        "'file' sources are not supported",
        messages=[user({"type": "image", "source": {"type": "file", "file_id": "file_1"}})],
    ),
    case(
        "image-bad-base64",
        "source.base64.data: The data is not valid base64",
        messages=[user(image(data="not base64!"))],
    ),
    case(
        "image-bad-media-type",
        "source.base64.media_type: Input should be",
        messages=[user(image(media_type="image/bmp"))],
    ),
    case(
        "image-data-not-that-type",
        "does not look like that type of image",
        messages=[user(image(media_type="image/jpeg"))],
    ),
    case(
        "image-over-5mb",
        "image exceeds 5 MB maximum",
        messages=[user(image(data=base64.b64encode(PNG_SIGNATURE + bytes(5 * 2**20)).decode()))],
    ),
    case(
        "document-url-source",
        "'url' sources are not supported",
        messages=[user({"type": "document", "source": {"type": "url", "url": "https://x/a.pdf"}})],
    ),
    case(
        "document-not-a-pdf",
        "The PDF specified was not valid",
        messages=[
            user(
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": PNG},
                }
            )
        ],
    ),
    case(
        "document-text-wrong-media-type",
        "source.text.media_type: Input should be 'text/plain'",
        messages=[
            user(
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/html", "data": "<p>"},
                }
            )
        ],
    ),
    # tools in messages
    case(
        "tool-use-bad-id",
        "messages.1.content.0.id: String should match pattern",
        messages=[user("x"), assistant(tool_use("bad id!")), user(tool_result("bad id!"))],
    ),
    case(
        "tool-use-input-not-object",
        "messages.1.content.0.input: Input should be a valid dict",
        messages=[user("x"), assistant(tool_use(input=[1])), user(tool_result())],
    ),
    case(
        "tool-result-without-tool-use",
        "messages.2.content.0.tool_use_id: unexpected "
        "`tool_use_id` found in `tool_result` blocks: toolu_9",
        messages=loop(tool_result("toolu_9")),
    ),
    case(
        "tool-use-unanswered",
        "messages.2: `tool_use` ids were found without `tool_result` "
        "blocks immediately after: toolu_1",
        messages=loop(text("never mind")),
    ),
    case(
        "tool-result-after-text",
        "messages.2.content.1: `tool_result` blocks must come before",
        messages=loop(text("here"), tool_result()),
    ),
    case(
        "tool-result-bad-inner-block",
        "messages.2.content.0.content.0.type: Input tag 'tool_use'",
        messages=loop(tool_result(content=[tool_use()])),
    ),
    case(
        "tool-result-is-error-not-bool",
        "messages.2.content.0.is_error: Input should be a valid boolean",
        messages=loop(tool_result(is_error="yes")),
    ),
    case(
        "tool-use-ids-duplicated",
        "`tool_use` ids must be unique",
        messages=[user("x"), assistant(tool_use(), tool_use()), user(tool_result())],
    ),
    # sampling
    case(
        "temperature-above-one",
        "temperature: Input should be a number between 0 and 1",
        temperature=1.5,
    ),
    case("top-p-negative", "top_p: Input should be a number between 0 and 1", top_p=-0.1),
    case(
        "top-k-negative", "top_k: Input should be an integer greater than or equal to 0", top_k=-1
    ),
    case(
        "stop-sequence-whitespace",
        "stop_sequences.1: each stop sequence must contain",
        stop_sequences=["END", " \n"],
    ),
    # system and cache_control
    case("system-non-text-block", "system.0.type: Input tag 'image'", system=[image()]),
    case(
        "system-day-long-cache",
        "system.0.cache_control.ttl: Input should be '5m' or '1h'",
        system=[text("rules", cache_control={"type": "ephemeral", "ttl": "24h"})],
    ),
    case(
        "cache-control-bad-type",
        "messages.0.content.0.cache_control.type: Input should be 'ephemeral'",
        messages=[user(text("x", cache_control={"type": "persistent"}))],
    ),
    case(
        "five-cache-breakpoints",
        "A maximum of 4 blocks with cache_control may be provided. Found 5.",
        system=cached(2),
        messages=[user(*cached(3))],
    ),
    # tools
    case(
        "tool-bad-name",
        "tools.0.name: String should match pattern",
        tools=[{**LOOKUP, "name": "look up"}],
    ),
    case("tool-names-duplicated", "tools: Tool names must be unique.", tools=[LOOKUP, LOOKUP]),
    case(
        "tool-schema-not-object",
        "tools.0.input_schema.type: Input should be 'object'",
        tools=[{**LOOKUP, "input_schema": {"type": "string"}}],
    ),
    case(
        "tool-schema-missing",
        "tools.0.input_schema: Input should be a valid dict",
        tools=[{"name": "lookup"}],
    ),
    case(
        "code-execution-tool",
        "tools.0.type: Input tag 'code_execution_20250522'",
        tools=[{"type": "code_execution_20250522", "name": "code_execution"}],
    ),
    case(
        "web-fetch-tool",
        "tools.0.type: Input tag 'web_fetch_20250910'",
        tools=[{"type": "web_fetch_20250910", "name": "web_fetch"}],
    ),
    case(
        "server-tool-with-schema",
        "tools.0.input_schema: Extra inputs are not permitted",
        tools=[{"type": "bash_20250124", "name": "bash", "input_schema": {"type": "object"}}],
    ),
    case(
        "tool-choice-without-tools",
        "`tool_choice` may only be specified while providing tools",
        tool_choice={"type": "auto"},
    ),
    case(
        "tool-choice-unknown-tool",
        "tool_choice.tool.name: Tool 'missing' not found",
        tools=[LOOKUP],
        tool_choice={"type": "tool", "name": "missing"},
    ),
    case(
        "tool-choice-unknown-type",
        "tool_choice: Input tag 'required'",
        tools=[LOOKUP],
        tool_choice={"type": "required"},
    ),
    case(
        "tool-choice-parallel-not-bool",
        "disable_parallel_tool_use: Input should be a valid boolean",
        tools=[LOOKUP],
        tool_choice={"type": "auto", "disable_parallel_tool_use": 1},
    ),
    # the rules of newer models (Claude Opus 4.7, the 4.6 models)
    case(
        "temperature-on-a-model-without-sampling",
        "temperature: `temperature` is deprecated for this model.",
        url_model="claude-opus-4-7",
        temperature=0.2,
    ),
    case(
        "top-k-on-a-model-without-sampling",
        "top_k: `top_k` is deprecated",
        url_model="claude-opus-4-7",
        top_k=5,
    ),
    case(
        "budgeted-thinking-on-an-adaptive-only-model",
        "thinking.type: extended thinking is not supported by claude-opus-4-7",
        url_model="claude-opus-4-7",
        thinking=THINKING,
    ),
    case(
        "prefill-on-a-model-without-prefill",
        "messages.1: This model does not support assistant message prefill",
        url_model="claude-sonnet-4-6",
        messages=[user("hi"), assistant(text("Sure"))],
    ),
    case(
        "display-on-a-model-without-it",
        "thinking.adaptive.display: Extra inputs are not permitted",
        url_model="claude-opus-4-6",
        thinking={"type": "adaptive", "display": "summarized"},
    ),
    case(
        "effort-level-the-model-lacks",
        "output_config.effort: 'xhigh' is not supported by claude-opus-4-6",
        url_model="claude-opus-4-6",
        output_config={"effort": "xhigh"},
    ),
    # output_config and the rest
    case(
        "effort-on-model-without-effort",
        "output_config.effort: effort is not supported",
        output_config={"effort": "high"},
    ),
    case(
        "effort-unknown-value",
        "output_config.effort: Input should be",
        url_model="claude-opus-4-6",
        output_config={"effort": "extreme"},
    ),
    case(
        "format-on-model-without-structured-outputs",
        "output_config.format: not supported",
        url_model="claude-sonnet-4@20250514",
        output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}},
    ),
    case(
        "format-not-json-schema",
        "output_config.format.type: Input should be 'json_schema'",
        output_config={"format": {"type": "regex", "schema": {}}},
    ),
    case(
        "metadata-extra-key",
        "metadata.session: Extra inputs are not permitted",
        metadata={"session": "s"},
    ),
    case(
        "service-tier-unknown",
        "service_tier: Input should be 'auto' or 'standard_only'",
        service_tier="priority",
    ),
    case(
        "context-management-without-beta",
        "context_management: Extra inputs are not permitted (this field needs the "
        "`anthropic-beta: context-management-2025-06-27` header",
        context_management={},
    ),
]


@pytest.fixture
def call(vertex_emulator: VertexEmulator) -> Any:
    token = vertex_emulator.issue_token()

    def send(item: Case) -> httpx2.Response:
        name = "count-tokens" if item.route == "count_tokens" else item.url_model
        region = REGION if resolve_model(name).is_served_in(REGION) else "us"
        url = vertex_emulator.model_url(name, region, stream=item.route == "stream")
        headers = {"Authorization": f"Bearer {token}", **item.headers}
        return httpx2.post(url, json=item.body, headers=headers)

    return send


@pytest.mark.parametrize("item", REJECTED)
def test_vertex_rejects(call: Any, item: Case) -> None:
    response = call(item)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "error"
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert item.expect in error["message"]


ACCEPTED = [
    case("plain", ""),
    case(
        "opus-4-7-with-adaptive-thinking-shown-xhigh-effort-default-temperature",
        "",
        url_model="claude-opus-4-7",
        thinking={"type": "adaptive", "display": "summarized"},
        output_config={"effort": "xhigh"},
        temperature=1,
    ),
    case(
        "one-hour-cache-before-five-minutes",
        "",
        system=[text("rules", cache_control={"type": "ephemeral", "ttl": "1h"})],
        messages=[user(text("hi", cache_control={"type": "ephemeral"}))],
    ),
    case(
        "prefill-where-the-model-takes-it",
        "",
        messages=[user("hi"), assistant(text("Sure"))],
    ),
    case("stream", "", route="stream"),
    case(
        "count-tokens-with-tools-and-thinking",
        "",
        route="count_tokens",
        tools=[LOOKUP],
        thinking=THINKING,
        system="be brief",
        tool_choice={"type": "auto"},
    ),
    case(
        "allowed-betas",
        "",
        headers={
            "anthropic-beta": (
                "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"
            )
        },
        anthropic_beta=["context-1m-2025-08-07"],
    ),
    case(
        "large-output-beta-raises-the-limit",
        "",
        url_model="claude-sonnet-4@20250514",
        max_tokens=128_000,
        headers={"anthropic-beta": "output-128k-2025-02-19"},
    ),
    case(
        "context-management-with-beta",
        "",
        context_management={"edits": []},
        headers={"anthropic-beta": "context-management-2025-06-27"},
    ),
    case(
        "media-and-documents",
        "",
        messages=[
            user(
                image(),
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
                    "title": "a.pdf",
                },
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "t"},
                },
                {"type": "document", "source": {"type": "content", "content": [text("c")]}},
                {
                    "type": "search_result",
                    "source": "https://example.com",
                    "title": "T",
                    "content": [text("found")],
                },
                text("Describe these", cache_control={"type": "ephemeral", "ttl": "5m"}),
            )
        ],
    ),
    case(
        "four-cache-breakpoints",
        "",
        system=cached(1),
        tools=[{**LOOKUP, "cache_control": {"type": "ephemeral"}}],
        messages=[user(*cached(2))],
    ),
    case(
        "consecutive-turns-merge-for-tool-pairing",
        "",
        messages=[
            user("x"),
            assistant(tool_use("toolu_a")),
            assistant(tool_use("toolu_b")),
            user(tool_result("toolu_a")),
            user(tool_result("toolu_b"), text("thanks")),
        ],
    ),
    case(
        "tool-result-content-blocks",
        "",
        messages=loop(tool_result(content=[text("a"), image()], is_error=False)),
    ),
    case("assistant-prefill", "", messages=[user("x"), assistant(text("{"))]),
    case(
        "server-tools",
        "",
        tools=[
            {"type": "bash_20250124", "name": "bash"},
            {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            {"type": "memory_20250818", "name": "memory"},
        ],
    ),
    case(
        "thinking-with-allowed-sampling",
        "",
        thinking=THINKING,
        temperature=1,
        top_p=0.95,
        tools=[LOOKUP],
        tool_choice={"type": "auto"},
    ),
    case(
        "disabled-thinking-ignores-sampling-rules",
        "",
        thinking={"type": "disabled"},
        temperature=0.2,
        top_k=3,
        tools=[LOOKUP],
        tool_choice={"type": "any"},
    ),
    case(
        "effort-and-format",
        "",
        url_model="claude-opus-4-6",
        output_config={
            "effort": "low",
            "format": {"type": "json_schema", "schema": {"type": "object"}},
        },
    ),
]


@pytest.mark.parametrize("item", ACCEPTED)
def test_vertex_accepts(call: Any, item: Case) -> None:
    response = call(item)
    assert response.status_code == 200, response.text


def test_a_registered_unknown_model_has_no_max_tokens_limit(
    vertex_emulator: VertexEmulator, call: Any
) -> None:
    vertex_emulator.set_available("claude-future@20300101", [REGION])
    item = Case("", request(max_tokens=500_000), url_model="claude-future@20300101")
    assert call(item).status_code == 200


def test_a_thinking_tool_loop_with_the_emulators_own_blocks_is_accepted(
    vertex_emulator: VertexEmulator,
) -> None:
    headers = {"Authorization": f"Bearer {vertex_emulator.issue_token()}"}
    url = vertex_emulator.model_url(SONNET, REGION)
    first = request(messages=[user("Look it up")], tools=[LOOKUP], thinking=THINKING)
    answer = httpx2.post(url, json=first, headers=headers).json()
    assert [b["type"] for b in answer["content"]] == ["thinking", "text", "tool_use"]
    call_id = answer["content"][-1]["id"]
    messages = [user("Look it up"), assistant(*answer["content"]), user(tool_result(call_id))]
    second = httpx2.post(url, json={**first, "messages": messages}, headers=headers)
    assert second.status_code == 200, second.text
    tampered = [dict(block) for block in answer["content"]]
    tampered[0]["thinking"] += " (edited)"
    messages[1] = assistant(*tampered)
    third = httpx2.post(url, json={**first, "messages": messages}, headers=headers)
    assert third.status_code == 400
    assert "Invalid `signature` in `thinking` block" in third.json()["error"]["message"]


def test_check_request_is_a_pure_function_of_the_body() -> None:
    from claude_vertex.models import resolve_model

    context = RequestContext("create", resolve_model(SONNET), lambda _t, _s: True)
    assert check_request(request(), context) is None
    rejection = check_request(request(top_k=-1), context)
    assert rejection is not None
    assert (rejection.status, rejection.error_type) == (400, "invalid_request_error")
    assert check_request(["not", "a", "dict"], context) is not None
