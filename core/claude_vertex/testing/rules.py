"""What Vertex AI rejects in a Messages request: pure checks on the parsed JSON body.

:func:`check_request` answers the first problem it finds as a :class:`Rejection` (a 400
``invalid_request_error`` whose message starts with the path of the offending field, such as
``messages.2.content.0.tool_use_id: ...``), or ``None`` for a valid request. Model facts come
from :mod:`claude_vertex.models`, the beta allow-list from :mod:`claude_vertex.betas`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, TypeGuard

from claude_vertex.api_version import VERTEX_ANTHROPIC_VERSION
from claude_vertex.betas import VERTEX_BETAS
from claude_vertex.media_types import IMAGE_SIGNATURES, MAX_IMAGE_BYTES
from claude_vertex.models import EFFORTS, ModelInfo, resolve_model

__all__ = [
    "COUNT_TOKENS_FIELDS",
    "CREATE_FIELDS",
    "VERTEX_VERSION",
    "Rejection",
    "RequestContext",
    "check_request",
]

JSON = dict[str, Any]
Route = Literal["create", "stream", "count_tokens"]

VERTEX_VERSION = VERTEX_ANTHROPIC_VERSION

#: Top-level fields of a create or stream body (the model is in the URL, not here).
CREATE_FIELDS = frozenset(
    {
        "anthropic_version",
        "messages",
        "max_tokens",
        "system",
        "stop_sequences",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "tools",
        "tool_choice",
        "thinking",
        "metadata",
        "output_config",
        "anthropic_beta",
        "context_management",
        "container",
        "service_tier",
        "inference_geo",
    }
)
#: Top-level fields of a count-tokens body, which keeps ``model``.
COUNT_TOKENS_FIELDS = frozenset(
    {
        "anthropic_version",
        "anthropic_beta",
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
        "context_management",
    }
)

MAX_CACHE_BREAKPOINTS = 4
#: ``type`` prefixes of the Anthropic-defined tools Vertex serves.
SERVER_TOOL_PREFIXES = (
    "bash_",
    "text_editor_",
    "web_search_",
    "computer_",
    "memory_",
    "tool_search_tool_",
)
THINKING_TYPES = ("enabled", "disabled", "adaptive")
CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27"
#: Compaction: its own beta, which also admits ``context_management`` (LiteLLM #27290).
COMPACT_BETA = "compact-2026-01-12"
COMPACT_EDIT = "compact_20260112"
LARGE_OUTPUT_BETA = "output-128k-2025-02-19"
LARGE_OUTPUT_TOKENS = 128_000

_TOOL_USE_ID = re.compile(r"[a-zA-Z0-9_-]+")
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,128}")

USER_BLOCKS = frozenset({"text", "image", "document", "tool_result", "search_result"})
ASSISTANT_BLOCKS = frozenset(
    {
        "text",
        "tool_use",
        "thinking",
        "redacted_thinking",
        "server_tool_use",
        "web_search_tool_result",
    }
)
TOOL_RESULT_BLOCKS = frozenset({"text", "image", "document", "search_result"})
#: The keys each block type may carry.
BLOCK_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"type", "text", "cache_control", "citations"}),
    "image": frozenset({"type", "source", "cache_control"}),
    "document": frozenset({"type", "source", "cache_control", "title", "context", "citations"}),
    "tool_result": frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"}),
    "search_result": frozenset(
        {"type", "source", "title", "content", "citations", "cache_control"}
    ),
    "tool_use": frozenset({"type", "id", "name", "input", "cache_control"}),
    "server_tool_use": frozenset({"type", "id", "name", "input", "cache_control"}),
    "web_search_tool_result": frozenset({"type", "tool_use_id", "content", "cache_control"}),
    "thinking": frozenset({"type", "thinking", "signature"}),
    "redacted_thinking": frozenset({"type", "data"}),
}
CUSTOM_TOOL_KEYS = frozenset(
    {
        "type",
        "name",
        "description",
        "input_schema",
        "cache_control",
        "strict",
        "defer_loading",
        "input_examples",
    }
)

THINKING_FIRST = (
    "When `thinking` is enabled, a final `assistant` message must start with a thinking block "
    "(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you "
    "include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. "
    "Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)
BETA_HINT = (
    "Please consult our documentation at docs.anthropic.com or try again without the header."
)


@dataclass(frozen=True)
class Rejection:
    """Why a request is refused: the HTTP status, Anthropic error type and message."""

    message: str
    status: int = 400
    error_type: str = "invalid_request_error"


@dataclass(frozen=True)
class RequestContext:
    """What the checks need besides the body."""

    route: Route
    #: The model named in the URL; ``None`` on count-tokens, whose body names it.
    model: ModelInfo | None
    #: Whether a thinking signature is one this emulator produced: ``(thinking, signature)``.
    signature_ok: Callable[[str, str], bool]
    #: The raw ``anthropic-beta`` header, if any.
    beta_header: str | None = None
    #: Whether a ``redacted_thinking`` block's ``data`` is one this emulator produced;
    #: ``None`` accepts any string.
    redacted_ok: Callable[[str], bool] | None = None


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _fail(message: str) -> NoReturn:
    raise _Invalid(message)


def check_request(body: object, context: RequestContext) -> Rejection | None:
    """The first reason Vertex would refuse ``body``, or ``None`` if it would accept it."""
    try:
        _Checker(context).check(body)
    except _Invalid as problem:
        return Rejection(problem.message)
    return None


# --------------------------------------------------------------------------- helpers


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _has_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _bad_tag(path: str, tag: object, expected: Sequence[str]) -> NoReturn:
    tags = ", ".join(f"'{t}'" for t in expected)
    _fail(f"{path}: Input tag {tag!r} found using 'type' does not match the expected tags: {tags}")


def _require_dict(path: str, value: object) -> JSON:
    if not isinstance(value, dict):
        _fail(f"{path}: Input should be a valid dictionary")
    return value


def _require_str(path: str, value: object) -> str:
    if not isinstance(value, str):
        _fail(f"{path}: Input should be a valid string")
    return value


def _only_keys(path: str, value: JSON, allowed: frozenset[str]) -> None:
    for key in value:
        if key not in allowed:
            _fail(f"{path}.{key}: Extra inputs are not permitted".lstrip("."))


def _decode_base64(path: str, data: object) -> bytes:
    if not isinstance(data, str) or not data:
        _fail(f"{path}: Input should be a non-empty base64 string")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        _fail(f"{path}: The data is not valid base64")


# --------------------------------------------------------------------------- stateless checks


def _check_pdf_source(path: str, source: JSON) -> None:
    """A document's ``base64`` source: PDF data."""
    if source.get("media_type") != "application/pdf":
        _fail(f"{path}.source.base64.media_type: Input should be 'application/pdf'")
    if not _decode_base64(f"{path}.source.base64.data", source.get("data")).startswith(b"%PDF-"):
        _fail(f"{path}.source.base64.data: The PDF specified was not valid")


def _check_text_source(path: str, source: JSON) -> None:
    """A document's ``text`` source: plain text."""
    if source.get("media_type") != "text/plain":
        _fail(f"{path}.source.text.media_type: Input should be 'text/plain'")
    _require_str(f"{path}.source.text.data", source.get("data"))


def _check_sampling_ranges(body: JSON) -> None:
    """``temperature`` and ``top_p`` within 0 to 1, ``top_k`` a non-negative integer."""
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if value is not None and (not _is_number(value) or not 0 <= value <= 1):
            _fail(f"{name}: Input should be a number between 0 and 1")
    top_k = body.get("top_k")
    if top_k is not None and (not _is_int(top_k) or top_k < 0):
        _fail("top_k: Input should be an integer greater than or equal to 0")


def _check_stop_sequences(stops: object) -> None:
    """``stop_sequences``, if given: a list of strings with non-whitespace text."""
    if stops is None:
        return
    if not isinstance(stops, list):
        _fail("stop_sequences: Input should be a valid list")
    for index, stop in enumerate(stops):
        if not _has_text(stop):
            _fail(f"stop_sequences.{index}: each stop sequence must contain non-whitespace")


def _check_sampling_defaults(body: JSON) -> None:
    """A model without sampling settings (Claude Opus 4.7) takes them only at their defaults.

    The wording is the service's as public reports quote it (for ``temperature``).
    """
    for name in ("temperature", "top_p"):
        if body.get(name) not in (None, 1, 1.0):
            _fail(f"{name}: `{name}` is deprecated for this model.")
    if body.get("top_k") is not None:
        _fail("top_k: `top_k` is deprecated for this model.")


def _check_sampling_with_thinking(body: JSON) -> None:
    """The sampling settings thinking allows: temperature 1, no ``top_k``, ``top_p`` >= 0.95."""
    if body.get("temperature") not in (None, 1, 1.0):
        _fail("temperature: `temperature` may only be set to 1 when thinking is enabled.")
    if body.get("top_k") is not None:
        _fail("top_k: `top_k` is not supported when thinking is enabled.")
    top_p = body.get("top_p")
    if top_p is not None and not 0.95 <= top_p <= 1:
        _fail("top_p: `top_p` must be between 0.95 and 1 when thinking is enabled.")


@dataclass
class _Turn:
    """Consecutive messages of one role, which the Messages API merges into one turn."""

    role: str
    first_index: int
    blocks: list[tuple[str, JSON]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[tuple[str, JSON]]:
        return [(path, block) for path, block in self.blocks if block.get("type") == kind]


# --------------------------------------------------------------------------- checker


class _Checker:
    """Walks one request body; raises :class:`_Invalid` at the first problem."""

    def __init__(self, context: RequestContext) -> None:
        self.context = context
        self.route = context.route
        self.breakpoints = 0
        self.betas: set[str] = set()
        self.header_betas: set[str] = set()  # Vertex reads some betas from the header only
        self.block_checks: dict[str, Callable[[str, JSON], None]] = {
            "text": self._check_text,
            "image": self._check_image,
            "document": self._check_document,
            "tool_use": self._check_tool_use,
            "server_tool_use": self._check_tool_use,
            "tool_result": self._check_tool_result,
            "search_result": self._check_search_result,
            "web_search_tool_result": self._check_web_search_tool_result,
            "thinking": self._check_thinking_block,
            "redacted_thinking": self._check_redacted_thinking,
        }

    def check(self, raw: object) -> None:
        body = _require_dict("body", raw)
        model = self._check_envelope(body)
        self._check_betas(body)
        if self.route != "count_tokens":
            self._check_max_tokens(body, model)
        thinking_on = self._check_thinking(body, model)
        turns = self._check_messages(body.get("messages"))
        if self.route != "count_tokens" and not model.prefill and turns[-1].role == "assistant":
            # Wording unconfirmed: the 4.6 models and later refuse prefills with a 400.
            _fail(
                f"messages.{len(body['messages']) - 1}: This model does not support assistant "
                "message prefill. The conversation must end with a user message."
            )
        self._check_system(body.get("system"))
        self._check_sampling(body, thinking_on, model)
        tool_names = self._check_tools(body.get("tools"))
        self._check_tool_choice(body.get("tool_choice"), tool_names, thinking_on)
        self._check_tool_pairing(turns)
        if thinking_on:
            self._check_thinking_turn(turns)
        self._check_output_config(body.get("output_config"), model)
        self._check_extras(body)
        if self.breakpoints > MAX_CACHE_BREAKPOINTS:
            _fail(
                f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be "
                f"provided. Found {self.breakpoints}."
            )

    # ----------------------------------------------------------- envelope

    def _check_envelope(self, body: JSON) -> ModelInfo:
        allowed = COUNT_TOKENS_FIELDS if self.route == "count_tokens" else CREATE_FIELDS
        if self.route != "count_tokens" and "model" in body:
            _fail(
                "model: Extra inputs are not permitted. On Vertex AI the model is named in the "
                "URL (.../models/{model}:rawPredict), not in the request body."
            )
        _only_keys("", body, allowed)
        version = body.get("anthropic_version")
        if self.route != "count_tokens" and version is None:
            _fail(f"anthropic_version: Field required (use {VERTEX_VERSION!r} on Vertex AI)")
        if version is not None and version != VERTEX_VERSION:
            _fail(f"anthropic_version: Input should be {VERTEX_VERSION!r}, got {version!r}")
        stream = body.get("stream")
        if self.route == "create" and stream is True:
            _fail("stream: `stream: true` needs the :streamRawPredict method, not :rawPredict")
        if self.route == "stream" and stream is not True:
            _fail("stream: :streamRawPredict needs `stream: true` in the body")
        if stream is not None and not isinstance(stream, bool):
            _fail("stream: Input should be a valid boolean")
        if self.route == "count_tokens":
            model_id = body.get("model")
            if not _has_text(model_id):
                _fail("model: Field required")
            return resolve_model(str(model_id))
        assert self.context.model is not None
        return self.context.model

    def _check_max_tokens(self, body: JSON, model: ModelInfo) -> None:
        if "max_tokens" not in body:
            _fail("max_tokens: Field required")
        value = body["max_tokens"]
        if not _is_int(value) or value < 1:
            _fail("max_tokens: Input should be an integer greater than or equal to 1")
        limit = model.max_output_tokens
        if LARGE_OUTPUT_BETA in self.betas:
            limit = max(limit, LARGE_OUTPUT_TOKENS)
        if model.known and value > limit:
            _fail(
                f"max_tokens: {value} > {limit}, which is the maximum allowed number of output "
                f"tokens for {model.vertex_id}"
            )

    def _check_betas(self, body: JSON) -> None:
        header = [b.strip() for b in (self.context.beta_header or "").split(",") if b.strip()]
        refused = [
            name
            for name in header
            if name not in VERTEX_BETAS
            or VERTEX_BETAS[name].placement == "body"
            or not self._beta_fits_route(name)
        ]
        if refused:
            names = ", ".join(f"`{name}`" for name in refused)
            _fail(f"Unexpected value(s) {names} for the `anthropic-beta` header. {BETA_HINT}")
        listed = body.get("anthropic_beta", [])
        if not isinstance(listed, list) or not all(isinstance(b, str) for b in listed):
            _fail("anthropic_beta: Input should be a valid list of strings")
        refused = [b for b in listed if b not in VERTEX_BETAS or not self._beta_fits_route(b)]
        if refused:
            names = ", ".join(f"`{name}`" for name in refused)
            _fail(f"anthropic_beta: Unexpected value(s) {names}. {BETA_HINT}")
        self.betas = set(header) | set(listed)
        self.header_betas = set(header)

    def _beta_fits_route(self, name: str) -> bool:
        return self.route != "count_tokens" or VERTEX_BETAS[name].count_tokens

    def _check_thinking(self, body: JSON, model: ModelInfo) -> bool:
        """Check ``thinking``; whether it is on (enabled or adaptive)."""
        if body.get("thinking") is None:
            return False
        thinking = _require_dict("thinking", body["thinking"])
        kind = thinking.get("type")
        if kind not in THINKING_TYPES:
            _bad_tag("thinking", kind, THINKING_TYPES)
        if kind == "disabled":
            _only_keys("thinking.disabled", thinking, frozenset({"type"}))
            return False
        display = frozenset({"display"}) if model.thinking_display else frozenset()
        if display and thinking.get("display") not in (None, "summarized", "omitted"):
            _bad_tag(f"thinking.{kind}.display", thinking["display"], ("summarized", "omitted"))
        if kind == "adaptive":
            _only_keys("thinking.adaptive", thinking, frozenset({"type"}) | display)
            if not model.adaptive_thinking:
                _fail(f"thinking.type: adaptive thinking is not supported by {model.vertex_id}")
            return True
        _only_keys("thinking.enabled", thinking, frozenset({"type", "budget_tokens"}) | display)
        if not model.thinking:
            _fail(f"thinking.type: extended thinking is not supported by {model.vertex_id}")
        budget = thinking.get("budget_tokens")
        if not _is_int(budget) or budget < 1024:
            _fail("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        max_tokens = body.get("max_tokens")
        if _is_int(max_tokens) and budget >= max_tokens:
            _fail("max_tokens: `max_tokens` must be greater than `thinking.budget_tokens`")
        return True

    # ----------------------------------------------------------- messages

    def _check_messages(self, raw: object) -> list[_Turn]:
        if not isinstance(raw, list) or not raw:
            _fail("messages: Input should be a non-empty list")
        turns: list[_Turn] = []
        for index, message in enumerate(raw):
            path = f"messages.{index}"
            message = _require_dict(path, message)
            _only_keys(path, message, frozenset({"role", "content"}))
            role = message.get("role")
            if role not in ("user", "assistant"):
                _fail(f"{path}.role: Input should be 'user' or 'assistant'")
            if index == 0 and role != "user":
                _fail('messages: first message must use the "user" role')
            if not turns or turns[-1].role != role:
                turns.append(_Turn(str(role), index))
            turns[-1].blocks.extend(self._message_blocks(path, str(role), message.get("content")))
        last_path, last = turns[-1].blocks[-1]
        if (
            turns[-1].role == "assistant"
            and last.get("type") == "text"
            and last["text"] != last["text"].rstrip()
        ):
            _fail(f"{last_path}: final assistant content cannot end with trailing whitespace")
        return turns

    def _message_blocks(self, path: str, role: str, content: object) -> list[tuple[str, JSON]]:
        if isinstance(content, str):
            if not _has_text(content):
                _fail(f"{path}.content: text content must contain non-whitespace text")
            return [(f"{path}.content", {"type": "text", "text": content})]
        if not isinstance(content, list) or not content:
            _fail(f"{path}.content: messages must have non-empty content")
        allowed = USER_BLOCKS if role == "user" else ASSISTANT_BLOCKS
        blocks = []
        for index, block in enumerate(content):
            block_path = f"{path}.content.{index}"
            blocks.append((block_path, self._check_block(block_path, block, allowed)))
        return blocks

    def _check_block(self, path: str, raw: object, allowed: frozenset[str]) -> JSON:
        block = _require_dict(path, raw)
        kind = block.get("type")
        if kind not in allowed:
            _bad_tag(f"{path}.type", kind, sorted(allowed))
        _only_keys(path, block, BLOCK_KEYS[str(kind)])
        if block.get("cache_control") is not None:
            self._check_cache_control(f"{path}.cache_control", block["cache_control"])
        self.block_checks[str(kind)](path, block)
        return block

    def _check_cache_control(self, path: str, raw: object) -> None:
        value = _require_dict(path, raw)
        _only_keys(path, value, frozenset({"type", "ttl"}))
        if value.get("type") != "ephemeral":
            _fail(f"{path}.type: Input should be 'ephemeral'")
        ttl = value.get("ttl", "5m")
        if ttl not in ("5m", "1h"):  # Google's Claude prompt-caching page documents both
            _fail(f"{path}.ttl: Input should be '5m' or '1h', got {ttl!r}")
        self.breakpoints += 1

    def _check_text(self, path: str, block: JSON) -> None:
        if not _has_text(block.get("text")):
            _fail(f"{path}.text: text content blocks must contain non-whitespace text")
        if block.get("citations") is not None and not isinstance(block["citations"], list):
            _fail(f"{path}.citations: Input should be a valid list")

    def _check_image(self, path: str, block: JSON) -> None:
        source = self._source(path, block, ("base64",))
        media_type = source.get("media_type")
        if media_type not in IMAGE_SIGNATURES:
            expected = ", ".join(f"'{m}'" for m in IMAGE_SIGNATURES)
            _fail(f"{path}.source.base64.media_type: Input should be {expected}")
        data = _decode_base64(f"{path}.source.base64.data", source.get("data"))
        if len(data) > MAX_IMAGE_BYTES:
            _fail(
                f"{path}.source.base64.data: image exceeds 5 MB maximum: "
                f"{len(data)} bytes > {MAX_IMAGE_BYTES} bytes"
            )
        if not data.startswith(IMAGE_SIGNATURES[str(media_type)]):
            _fail(
                f"{path}.source.base64.data: The image was specified using the {media_type} "
                "media type, but the data does not look like that type of image"
            )

    def _check_citations_config(self, path: str, block: JSON) -> None:
        config = block.get("citations")
        if config is None:
            return
        config = _require_dict(f"{path}.citations", config)
        _only_keys(f"{path}.citations", config, frozenset({"enabled"}))
        if config.get("enabled") is not None and not isinstance(config["enabled"], bool):
            _fail(f"{path}.citations.enabled: Input should be a valid boolean")

    def _check_document(self, path: str, block: JSON) -> None:
        self._check_citations_config(path, block)
        for key in ("title", "context"):
            if block.get(key) is not None:
                _require_str(f"{path}.{key}", block[key])
        source = self._source(path, block, ("base64", "text", "content"))
        kind = source["type"]
        if kind == "base64":
            _check_pdf_source(path, source)
        elif kind == "text":
            _check_text_source(path, source)
        else:
            self._check_content_source(path, source)

    def _check_content_source(self, path: str, source: JSON) -> None:
        """A document's ``content`` source: a string, or a non-empty list of text and images."""
        inner = source.get("content")
        if isinstance(inner, str):
            return
        if not isinstance(inner, list) or not inner:
            _fail(f"{path}.source.content.content: Input should be a non-empty list")
        for index, item in enumerate(inner):
            self._check_block(
                f"{path}.source.content.content.{index}", item, frozenset({"text", "image"})
            )

    def _source(self, path: str, block: JSON, allowed: Sequence[str]) -> JSON:
        source = _require_dict(f"{path}.source", block.get("source"))
        kind = source.get("type")
        if kind in ("url", "file"):
            _fail(
                f"{path}.source.type: '{kind}' sources are not supported on Vertex AI "
                "(it does not fetch URLs or offer the Files API); send the data as base64"
            )
        if kind not in allowed:
            _bad_tag(f"{path}.source.type", kind, allowed)
        return source

    def _check_tool_use(self, path: str, block: JSON) -> None:
        tool_id = block.get("id")
        if not isinstance(tool_id, str) or not _TOOL_USE_ID.fullmatch(tool_id):
            _fail(f"{path}.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
        if not _has_text(block.get("name")):
            _fail(f"{path}.name: Field required")
        _require_dict(f"{path}.input", block.get("input"))

    def _check_tool_result(self, path: str, block: JSON) -> None:
        _require_str(f"{path}.tool_use_id", block.get("tool_use_id"))
        if block.get("is_error") is not None and not isinstance(block["is_error"], bool):
            _fail(f"{path}.is_error: Input should be a valid boolean")
        content = block.get("content")
        if content is None or isinstance(content, str):
            return
        if not isinstance(content, list):
            _fail(f"{path}.content: Input should be a valid string or list")
        for index, item in enumerate(content):
            self._check_block(f"{path}.content.{index}", item, TOOL_RESULT_BLOCKS)

    def _check_search_result(self, path: str, block: JSON) -> None:
        self._check_citations_config(path, block)
        _require_str(f"{path}.source", block.get("source"))
        _require_str(f"{path}.title", block.get("title"))
        content = block.get("content")
        if not isinstance(content, list) or not content:
            _fail(f"{path}.content: Input should be a non-empty list of text blocks")
        for index, item in enumerate(content):
            self._check_block(f"{path}.content.{index}", item, frozenset({"text"}))

    def _check_web_search_tool_result(self, path: str, block: JSON) -> None:
        _require_str(f"{path}.tool_use_id", block.get("tool_use_id"))
        if not isinstance(block.get("content"), (list, dict)):
            _fail(f"{path}.content: Input should be a list of results or an error object")

    def _check_thinking_block(self, path: str, block: JSON) -> None:
        thinking = _require_str(f"{path}.thinking", block.get("thinking"))
        signature = _require_str(f"{path}.signature", block.get("signature"))
        if not self.context.signature_ok(thinking, signature):
            _fail(f"{path}.signature: Invalid `signature` in `thinking` block")

    def _check_redacted_thinking(self, path: str, block: JSON) -> None:
        data = _require_str(f"{path}.data", block.get("data"))
        if self.context.redacted_ok is not None and not self.context.redacted_ok(data):
            _fail(f"{path}.data: Invalid `data` in `redacted_thinking` block")

    # ----------------------------------------------------------- turns

    def _check_tool_pairing(self, turns: Sequence[_Turn]) -> None:
        for position, turn in enumerate(turns):
            calls = turn.of_type("tool_use")
            ids = [block["id"] for _, block in calls]
            if len(set(ids)) != len(ids):
                _fail(f"messages.{turn.first_index}: `tool_use` ids must be unique")
            if turn.role == "user":
                previous = turns[position - 1] if position else None
                self._check_answers(turn, previous)

    def _check_answers(self, turn: _Turn, previous: _Turn | None) -> None:
        """Tool results must answer, first and completely, the tool calls of the turn before."""
        asked = [block["id"] for _, block in previous.of_type("tool_use")] if previous else []
        answered: set[str] = set()
        other_seen = False
        for path, block in turn.blocks:
            if block.get("type") != "tool_result":
                other_seen = True
                continue
            if other_seen:
                _fail(f"{path}: `tool_result` blocks must come before any other content")
            if block["tool_use_id"] not in asked:
                _fail(
                    f"{path}.tool_use_id: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{block['tool_use_id']}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message."
                )
            answered.add(block["tool_use_id"])
        missing = [tool_id for tool_id in asked if tool_id not in answered]
        if missing:
            _fail(
                f"messages.{turn.first_index}: `tool_use` ids were found without `tool_result` "
                f"blocks immediately after: {', '.join(missing)}. Each `tool_use` block must have "
                "a corresponding `tool_result` block in the next message."
            )

    def _check_thinking_turn(self, turns: Sequence[_Turn]) -> None:
        """With thinking on, the assistant turn a tool loop continues must open with thinking."""
        if len(turns) < 2 or turns[-1].role != "user" or not turns[-1].of_type("tool_result"):
            return
        assistant = turns[-2]
        if not assistant.of_type("tool_use"):
            return
        path, first = assistant.blocks[0]
        if first.get("type") not in ("thinking", "redacted_thinking"):
            _fail(
                f"{path}.type: Expected `thinking` or `redacted_thinking`, but found "
                f"`{first.get('type')}`. {THINKING_FIRST}"
            )

    # ----------------------------------------------------------- other fields

    def _check_system(self, system: object) -> None:
        if system is None or isinstance(system, str):
            return
        if not isinstance(system, list):
            _fail("system: Input should be a valid string or list of text blocks")
        for index, block in enumerate(system):
            self._check_block(f"system.{index}", block, frozenset({"text"}))

    def _check_sampling(self, body: JSON, thinking_on: bool, model: ModelInfo) -> None:
        _check_sampling_ranges(body)
        _check_stop_sequences(body.get("stop_sequences"))
        if not model.sampling:
            _check_sampling_defaults(body)
        if thinking_on:
            _check_sampling_with_thinking(body)

    def _check_tools(self, raw: object) -> set[str]:
        if raw is None:
            return set()
        if not isinstance(raw, list):
            _fail("tools: Input should be a valid list")
        names: set[str] = set()
        for index, item in enumerate(raw):
            path = f"tools.{index}"
            tool = _require_dict(path, item)
            kind = tool.get("type")
            if kind in (None, "custom"):
                self._check_custom_tool(path, tool)
            elif not isinstance(kind, str) or not kind.startswith(SERVER_TOOL_PREFIXES):
                _fail(
                    f"{path}.type: Input tag {kind!r} found using 'type' does not match any of the "
                    "tool types Vertex AI serves (custom, bash, text editor, web search, computer "
                    "use, memory, tool search)"
                )
            elif "input_schema" in tool:
                _fail(f"{path}.input_schema: Extra inputs are not permitted")
            name = _require_str(f"{path}.name", tool.get("name"))
            if name in names:
                _fail("tools: Tool names must be unique.")
            names.add(name)
            if tool.get("cache_control") is not None:
                self._check_cache_control(f"{path}.cache_control", tool["cache_control"])
        return names

    def _check_custom_tool(self, path: str, tool: JSON) -> None:
        _only_keys(path, tool, CUSTOM_TOOL_KEYS)
        name = tool.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            _fail(f"{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'")
        schema = _require_dict(f"{path}.input_schema", tool.get("input_schema"))
        if schema.get("type") != "object":
            _fail(f"{path}.input_schema.type: Input should be 'object'")
        if tool.get("description") is not None:
            _require_str(f"{path}.description", tool["description"])
        if tool.get("strict") is not None and not isinstance(tool["strict"], bool):
            _fail(f"{path}.strict: Input should be a valid boolean")

    def _check_tool_choice(self, raw: object, tool_names: set[str], thinking_on: bool) -> None:
        if raw is None:
            return
        choice = _require_dict("tool_choice", raw)
        kind = choice.get("type")
        if kind not in ("auto", "any", "tool", "none"):
            _bad_tag("tool_choice", kind, ("auto", "any", "tool", "none"))
        keys = {"type", "disable_parallel_tool_use"} | ({"name"} if kind == "tool" else set())
        _only_keys(f"tool_choice.{kind}", choice, frozenset(keys))
        if choice.get("disable_parallel_tool_use") is not None and not isinstance(
            choice["disable_parallel_tool_use"], bool
        ):
            _fail(f"tool_choice.{kind}.disable_parallel_tool_use: Input should be a valid boolean")
        if kind != "none" and not tool_names:
            _fail("tool_choice: `tool_choice` may only be specified while providing tools.")
        if kind == "tool" and choice.get("name") not in tool_names:
            _fail(f"tool_choice.tool.name: Tool {choice.get('name')!r} not found in `tools`")
        if thinking_on and kind in ("any", "tool"):
            _fail("tool_choice: Thinking may not be enabled when tool_choice forces tool use.")

    def _check_output_config(self, raw: object, model: ModelInfo) -> None:
        if raw is None:
            return
        config = _require_dict("output_config", raw)
        _only_keys("output_config", config, frozenset({"effort", "format"}))
        effort = config.get("effort")
        if effort is not None:
            if effort not in EFFORTS:
                _fail(
                    f"output_config.effort: Input should be {', '.join(repr(e) for e in EFFORTS)}"
                )
            if not model.effort:
                _fail(f"output_config.effort: effort is not supported by {model.vertex_id}")
            if model.known and effort not in model.efforts:
                _fail(
                    f"output_config.effort: {effort!r} is not supported by {model.vertex_id}; "
                    f"use one of {', '.join(repr(e) for e in model.efforts)}"
                )
        output_format = config.get("format")
        if output_format is not None:
            output_format = _require_dict("output_config.format", output_format)
            _only_keys("output_config.format", output_format, frozenset({"type", "schema"}))
            if output_format.get("type") != "json_schema":
                _fail("output_config.format.type: Input should be 'json_schema'")
            _require_dict("output_config.format.schema", output_format.get("schema"))
            if not model.structured_outputs:
                _fail(f"output_config.format: not supported by {model.vertex_id}")

    def _check_context_management(self, value: object) -> None:
        """``context_management`` needs its beta, a compaction edit the compact beta.

        Both in the header: with the beta in the body's ``anthropic_beta`` alone, Vertex
        refuses the field (LiteLLM #22321).
        """
        management = _require_dict("context_management", value)
        if not self.header_betas & {CONTEXT_MANAGEMENT_BETA, COMPACT_BETA}:
            _fail(
                "context_management: Extra inputs are not permitted (this field needs the "
                f"`anthropic-beta: {CONTEXT_MANAGEMENT_BETA}` header)"
            )
        edits = management.get("edits") or []
        for index, edit in enumerate(edits if isinstance(edits, list) else []):
            kind = edit.get("type") if isinstance(edit, dict) else None
            if kind == COMPACT_EDIT and COMPACT_BETA not in self.header_betas:
                _fail(
                    f"context_management.edits.{index}: Input tag {kind!r} found using 'type' "
                    f"needs the `anthropic-beta: {COMPACT_BETA}` header"
                )

    def _check_extras(self, body: JSON) -> None:
        metadata = body.get("metadata")
        if metadata is not None:
            _only_keys("metadata", _require_dict("metadata", metadata), frozenset({"user_id"}))
            if metadata.get("user_id") is not None:
                _require_str("metadata.user_id", metadata["user_id"])
        tier = body.get("service_tier")
        if tier is not None and tier not in ("auto", "standard_only"):
            _fail("service_tier: Input should be 'auto' or 'standard_only'")
        if body.get("inference_geo") is not None:
            _require_str("inference_geo", body["inference_geo"])
        container = body.get("container")
        if container is not None and not isinstance(container, (str, dict)):
            _fail("container: Input should be a valid string")
        if body.get("context_management") is not None:
            self._check_context_management(body["context_management"])
