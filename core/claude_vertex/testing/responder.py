"""Deterministic answers of the emulator: messages, SSE events, token counts and error bodies.

Everything here is a pure function of the request body, except :class:`PromptCache` (which
remembers the prompt prefixes it has seen, as the real prompt cache does) and
:class:`ThinkingSigner` (which holds the per-emulator secret that signs thinking blocks).
The same request always gets the same content; only the message id is random.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "GOOGLE_STATUS",
    "Answer",
    "PromptCache",
    "Reply",
    "StreamReply",
    "ThinkingSigner",
    "Usage",
    "anthropic_error",
    "count_input_tokens",
    "encode_sse",
    "example_from_schema",
    "google_error",
    "message_json",
    "plan_answer",
    "react_step",
    "stream_events",
]

JSON = dict[str, Any]

#: The ``status`` string Google puts next to each HTTP code.
GOOGLE_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

CHARS_PER_TOKEN = 4
#: Fixed token costs of the parts a character count does not describe.
IMAGE_TOKENS = 1_500
PDF_TOKENS = 2_000
TOOL_DEFINITION_TOKENS = 50
#: Longest echo of the user's text in an answer.
ECHO_CHARS = 200
#: Ceiling on ``[[words:N]]``, so one request cannot make the emulator build gigabytes.
MAX_WORDS = 200_000
#: Lifetime of a prompt-cache entry: Vertex has the 5-minute cache only.
CACHE_TTL_SECONDS = 300.0

_WORDS_MARKER = re.compile(r"\[\[words:(\d+)\]\]")
#: Anthropic's documented test prompt that makes a thinking model answer with a
#: ``redacted_thinking`` block (the emulator honours it as the real service does).
REDACTED_THINKING_TRIGGER = (
    "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_"
    "46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB"
)
_SEALED = b"vrtxR"
_SENTENCE = re.compile(r"\s*(.+?[.!?])(?=\s|$)", re.DOTALL)
_PDF_TEXT = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj")
_VOCABULARY = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
_ID_ALPHABET = string.ascii_letters + string.digits


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """A complete HTTP answer: written to the socket in one piece."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json; charset=UTF-8"

    @classmethod
    def json(cls, status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
        """A reply whose body is ``payload`` encoded as JSON."""
        return cls(status, json.dumps(payload).encode(), headers)


@dataclass(frozen=True)
class StreamReply:
    """A ``200`` SSE answer, sent as chunked transfer encoding one event per chunk.

    ``events`` may be lazy: the server writes each event as it is made, so the first arrives
    before the last is encoded, as from Vertex. ``ending`` says how the body ends:
    ``complete`` with the terminating chunk, ``truncated`` with the terminating chunk but
    fewer events, ``dropped`` by closing the socket without it.
    """

    events: Iterable[bytes]
    ending: Literal["complete", "truncated", "dropped"] = "complete"
    headers: tuple[tuple[str, str], ...] = ()


def google_error(code: int, message: str, status: str | None = None) -> JSON:
    """The error body of Google's front door: ``{"error": {"code", "message", "status"}}``."""
    return {
        "error": {
            "code": code,
            "message": message,
            "status": status or GOOGLE_STATUS.get(code, "UNKNOWN"),
        }
    }


def anthropic_error(error_type: str, message: str) -> JSON:
    """The error body of the model layer: ``{"type": "error", "error": {"type", "message"}}``."""
    return {"type": "error", "error": {"type": error_type, "message": message}}


#: Compact JSON, one encoder for every event (``json.dumps`` with options builds one per call).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def encode_sse(event: str, data: JSON) -> bytes:
    """One server-sent event: an ``event:`` line, a ``data:`` line of JSON, a blank line."""
    return f"event: {event}\ndata: {_COMPACT.encode(data)}\n\n".encode()


# --------------------------------------------------------------------------- tokens


def _tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _document_tokens(block: JSON) -> int:
    """A document: its plain text, the blocks of its content, or a PDF's fixed cost."""
    source = block.get("source") or {}
    if source.get("type") == "text":
        return _tokens(str(source.get("data", "")))
    if source.get("type") == "content":
        return sum(_block_tokens(b) for b in source.get("content") or [])
    return PDF_TOKENS


def _result_tokens(block: JSON) -> int:
    """A tool or search result: its title and nested blocks, or its content as a string."""
    content = block.get("content")
    if isinstance(content, list):
        return _tokens(str(block.get("title", ""))) + sum(_block_tokens(b) for b in content)
    return _tokens(str(content or ""))


def _tool_use_tokens(block: JSON) -> int:
    """A tool call: its name and its input as JSON."""
    return _tokens(str(block.get("name", "")) + _canonical(block.get("input", {})))


def _image_tokens(block: JSON) -> int:
    """An image: a fixed cost, whatever its size."""
    return IMAGE_TOKENS


def _field_tokens(field: str) -> Callable[[JSON], int]:
    """A counter of the block types counted by the text of one field alone."""

    def count(block: JSON) -> int:
        return _tokens(str(block.get(field, "")))

    return count


#: Token counters of the block types the emulator knows; others count as their JSON.
_BLOCK_TOKEN_COUNTERS: dict[str, Callable[[JSON], int]] = {
    "text": _field_tokens("text"),
    "image": _image_tokens,
    "document": _document_tokens,
    "tool_result": _result_tokens,
    "search_result": _result_tokens,
    "tool_use": _tool_use_tokens,
    "server_tool_use": _tool_use_tokens,
    "thinking": _field_tokens("thinking"),
    "redacted_thinking": _field_tokens("data"),
}


def _block_tokens(block: object) -> int:
    """The token estimate of one content block (or a bare string)."""
    if isinstance(block, str):
        return _tokens(block)
    if not isinstance(block, dict):
        return 0
    kind = block.get("type")
    counter = _BLOCK_TOKEN_COUNTERS.get(kind) if isinstance(kind, str) else None
    return _tokens(_canonical(block)) if counter is None else counter(block)


@dataclass(frozen=True)
class _Segment:
    """One cacheable unit of a prompt, in the order the prompt cache reads them."""

    key: str
    tokens: int
    breakpoint: bool


def _without_cache_control(block: object) -> object:
    if isinstance(block, dict):
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def _segments(body: JSON) -> list[_Segment]:
    """The prompt as cacheable segments: tools, then system, then message blocks."""
    segments: list[_Segment] = []

    def add(prefix: str, block: object, tokens: int) -> None:
        marked = isinstance(block, dict) and block.get("cache_control") is not None
        key = prefix + _canonical(_without_cache_control(block))
        segments.append(_Segment(key, tokens, marked))

    for tool in body.get("tools") or []:
        add(
            "tool:",
            tool,
            TOOL_DEFINITION_TOKENS + _tokens(_canonical(_without_cache_control(tool))),
        )
    system = body.get("system")
    for block in [system] if isinstance(system, str) else system or []:
        add("system:", block, _block_tokens(block))
    for message in body.get("messages") or []:
        role = str(message.get("role"))
        content = message.get("content")
        for block in [content] if isinstance(content, str) else content or []:
            add(f"{role}:", block, _block_tokens(block))
    return segments


def count_input_tokens(body: JSON) -> int:
    """The emulator's deterministic input-token count of a request (at least 1).

    About one token per four characters of text, plus fixed amounts per image, PDF and tool
    definition. ``count-tokens`` answers this number; a create call reports it split into
    ``input_tokens``, ``cache_creation_input_tokens`` and ``cache_read_input_tokens``.
    """
    return max(1, sum(segment.tokens for segment in _segments(body)))


@dataclass(frozen=True)
class Usage:
    """The input side of a call's usage."""

    input_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


class PromptCache:
    """The emulator's prompt cache: which prompt prefixes it has seen in the last 5 minutes.

    A prefix ends at a block with ``cache_control``. The first request with a prefix writes it
    (``cache_creation_input_tokens``); later requests whose prefix matches read it
    (``cache_read_input_tokens``). Thread-safe.
    """

    def __init__(self, ttl: float = CACHE_TTL_SECONDS) -> None:
        self._ttl = ttl
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every cached prefix."""
        with self._lock:
            self._expiry.clear()

    def usage(self, model: str, body: JSON) -> Usage:
        """The input usage of ``body`` sent to ``model``, recording its cache breakpoints."""
        segments = _segments(body)
        total = max(1, sum(segment.tokens for segment in segments))
        digest = hashlib.sha256(model.encode())
        prefixes: list[tuple[str, int]] = []
        running = 0
        for segment in segments:
            digest.update(segment.key.encode())
            running += segment.tokens
            if segment.breakpoint:
                prefixes.append((digest.hexdigest(), running))
        if not prefixes:
            return Usage(total)
        now = time.monotonic()
        with self._lock:
            for key in [k for k, expiry in self._expiry.items() if expiry <= now]:
                del self._expiry[key]
            read = max((tokens for key, tokens in prefixes if key in self._expiry), default=0)
            for key, _ in prefixes:
                self._expiry[key] = now + self._ttl
        cached = prefixes[-1][1]
        return Usage(max(0, total - cached), cached - read, read)


# --------------------------------------------------------------------------- thinking


class ThinkingSigner:
    """Signs thinking blocks with an HMAC under a secret of its own, and checks signatures."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def sign(self, thinking: str) -> str:
        """The signature of a thinking text."""
        mac = hmac.new(self._secret, thinking.encode(), hashlib.sha256).digest()
        return base64.b64encode(b"vrtx" + mac).decode()

    def verify(self, thinking: str, signature: str) -> bool:
        """Whether ``signature`` is the one :meth:`sign` gives for ``thinking``."""
        return hmac.compare_digest(self.sign(thinking), signature)

    def seal(self, thinking: str) -> str:
        """The opaque ``data`` of a ``redacted_thinking`` block holding ``thinking``."""
        payload = thinking.encode()
        mac = hmac.new(self._secret, b"redacted:" + payload, hashlib.sha256).digest()
        return base64.b64encode(_SEALED + mac + payload).decode()

    def unsealable(self, data: str) -> bool:
        """Whether ``data`` is a ``redacted_thinking`` payload :meth:`seal` made, unmodified."""
        try:
            raw = base64.b64decode(data, validate=True)
        except (ValueError, TypeError):
            return False
        if not raw.startswith(_SEALED) or len(raw) < len(_SEALED) + 32:
            return False
        mac, payload = raw[len(_SEALED) : len(_SEALED) + 32], raw[len(_SEALED) + 32 :]
        expected = hmac.new(self._secret, b"redacted:" + payload, hashlib.sha256).digest()
        return hmac.compare_digest(mac, expected)


# --------------------------------------------------------------------------- schemas

_STRING_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
#: Below this depth every property and one array item are produced; deeper, only what the
#: schema requires, so that recursive schemas end.
_FULL_DEPTH = 4
_MAX_DEPTH = 32


class ArgumentHints:
    """Values a user's text offers for tool arguments: quoted strings and numbers, in order.

    The emulated model fills string arguments with the quoted strings of the user's text and
    number arguments with its numbers, first come first served, as a model copies what it was
    told (``'What is magic(3)?'`` calls ``magic`` with ``3``). Arguments the text says nothing
    about get the schema's example value.
    """

    _QUOTED = re.compile(r"""(?<!\w)(?:'([^'\n]+)'|"([^"\n]+)"|\u201c([^\u201d\n]+)\u201d)""")
    _NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?!\w|\.\d)")

    def __init__(self, text: str) -> None:
        self.strings = [next(g for g in m.groups() if g) for m in self._QUOTED.finditer(text)]
        self.numbers: list[int | float] = [
            float(n) if "." in n else int(n) for n in self._NUMBER.findall(text)
        ]

    def take_string(self, schema: JSON) -> str | None:
        """The next quoted string that fits ``schema``'s length limits, consumed."""
        for index, value in enumerate(self.strings):
            low, high = schema.get("minLength"), schema.get("maxLength")
            if (isinstance(low, int) and len(value) < low) or (
                isinstance(high, int) and len(value) > high
            ):
                continue
            return self.strings.pop(index)
        return None

    def take_number(self, schema: JSON, *, integer: bool) -> int | float | None:
        """The next number that fits ``schema`` (integral for integers, within bounds)."""
        for index, value in enumerate(self.numbers):
            if integer and not isinstance(value, int):
                continue
            if not _within(value, schema):
                continue
            return self.numbers.pop(index)
        return None


def _within(value: float, schema: JSON) -> bool:
    """Whether ``value`` meets the schema's ``minimum``/``maximum`` (and exclusive) bounds."""

    def bound(key: str) -> float | None:
        found = schema.get(key)
        if isinstance(found, (int, float)) and not isinstance(found, bool):
            return float(found)
        return None

    low, high = bound("minimum"), bound("maximum")
    low_open, high_open = bound("exclusiveMinimum"), bound("exclusiveMaximum")
    return (
        (low is None or value >= low)
        and (high is None or value <= high)
        and (low_open is None or value > low_open)
        and (high_open is None or value < high_open)
    )


def example_from_schema(schema: object, hints: ArgumentHints | None = None) -> Any:
    """A deterministic value that matches a JSON schema.

    Objects get every property, strings ``"example"`` (or a sample of their ``format``),
    numbers and integers ``1`` (within ``minimum``/``maximum``), booleans ``true``, enums
    their first value, arrays one item; ``$ref`` into ``$defs``/``definitions`` is followed
    and ``anyOf``/``oneOf`` take their first branch. With ``hints``, plain strings and
    numbers take the user's quoted strings and numbers first (see :class:`ArgumentHints`).
    """
    root = schema if isinstance(schema, dict) else {}
    return _example(schema, root, 0, hints)


def _resolve_ref(root: JSON, ref: str) -> object:
    if not ref.startswith("#"):
        return {}
    node: object = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node


def _example(schema: object, root: JSON, depth: int, hints: ArgumentHints | None) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if isinstance(schema.get("$ref"), str):
        return _example(_resolve_ref(root, schema["$ref"]), root, depth + 1, hints)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    branches = _union_branches(schema)
    if branches:
        return _example(branches[0], root, depth + 1, hints)
    if isinstance(schema.get("allOf"), list):
        return _example(_merge_all_of(schema, root), root, depth + 1, hints)
    return _typed_example(schema, root, depth, hints)


def _union_branches(schema: JSON) -> list[object]:
    """The branches of the first non-empty ``anyOf``/``oneOf``: the non-null ones, if any."""
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and branches:
            preferred = [
                b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")
            ]
            return preferred or branches
    return []


def _merge_all_of(schema: JSON, root: JSON) -> JSON:
    """``schema`` without ``allOf``, with each of its branches merged in, in order."""
    merged: JSON = {k: v for k, v in schema.items() if k != "allOf"}
    for branch in schema["allOf"]:
        if not isinstance(branch, dict):
            continue
        resolved = _resolve_ref(root, branch["$ref"]) if "$ref" in branch else branch
        if isinstance(resolved, dict):
            _merge_into(merged, resolved)
    return merged


def _merge_into(merged: JSON, branch: JSON) -> None:
    """Merge ``branch`` into ``merged``: objects are combined, lists joined, the rest replaced."""
    for key, value in branch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value


def _schema_type(schema: JSON) -> object:
    """The schema's type: the first non-null of a list, else inferred from its keywords."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return kind


def _typed_example(schema: JSON, root: JSON, depth: int, hints: ArgumentHints | None) -> Any:
    """The example of a schema by its ``type``."""
    kind = _schema_type(schema)
    if kind == "object":
        return _object_example(schema, root, depth, hints)
    if kind == "array":
        return _array_example(schema, root, depth, hints)
    if kind == "string":
        hinted = (
            hints.take_string(schema) if hints and schema.get("format") in (None, "text") else None
        )
        return _string_example(schema) if hinted is None else hinted
    if kind in ("integer", "number"):
        number = hints.take_number(schema, integer=kind == "integer") if hints else None
        return _number_example(schema) if number is None else number
    if kind == "boolean":
        return True
    return None


def _object_example(schema: JSON, root: JSON, depth: int, hints: ArgumentHints | None) -> JSON:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    required = set(required) if isinstance(required, list) else set()
    return {
        name: _example(sub, root, depth + 1, hints)
        for name, sub in properties.items()
        if depth < _FULL_DEPTH or name in required
    }


def _array_example(schema: JSON, root: JSON, depth: int, hints: ArgumentHints | None) -> list[Any]:
    items = schema.get("items")
    if not isinstance(items, dict) and isinstance(schema.get("prefixItems"), list):
        return [_example(item, root, depth + 1, hints) for item in schema["prefixItems"]]
    minimum = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
    count = max(minimum, 1 if depth < _FULL_DEPTH else 0)
    return [
        _example(items if isinstance(items, dict) else {}, root, depth + 1, hints)
        for _ in range(count)
    ]


def _string_example(schema: JSON) -> str:
    text = _STRING_FORMATS.get(str(schema.get("format")), "example")
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int) and len(text) < min_length:
        text = text + "x" * (min_length - len(text))
    if isinstance(max_length, int) and len(text) > max_length:
        text = text[:max_length]
    return text


def _number_example(schema: JSON) -> int | float:
    value: int | float = 1
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(low, (int, float)) and value < low:
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if isinstance(high, (int, float)) and value > high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    return value


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Answer:
    """What the emulated model says: content blocks and why it stopped."""

    content: tuple[JSON, ...]
    stop_reason: str
    stop_sequence: str | None
    output_tokens: int


def _last_user_turn(messages: Sequence[JSON]) -> list[JSON]:
    """The blocks of the trailing run of user messages (a turn may span several messages)."""
    blocks: list[JSON] = []
    for message in reversed(messages):
        if message.get("role") != "user":
            if blocks:
                break
            continue
        content = message.get("content")
        found = (
            [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        )
        blocks = found + blocks
    return blocks


def _block_text(block: JSON) -> str:
    """The readable text of a block: text, or the text inside a tool result."""
    if block.get("type") == "text":
        return str(block.get("text", ""))
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            _block_text(b) for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3}


def _stable_id(prefix: str, body: JSON, index: int) -> str:
    digest = hashlib.sha256(f"{index}:{_canonical(body)}".encode()).hexdigest()
    return prefix + digest[:24]


def _ranked_tools(tools: Sequence[JSON], user_text: str) -> list[JSON]:
    """Tools ordered for calling: those sharing a word with the user's text first."""
    asked = _words(user_text)

    def shares_word(tool: JSON) -> bool:
        name_words = _words(str(tool.get("name", "")).replace("_", " ").replace("-", " "))
        return bool(asked & (name_words | _words(str(tool.get("description", "")))))

    return sorted(tools, key=lambda tool: not shares_word(tool))


def _tool_calls(body: JSON, user_text: str, answered: bool) -> list[JSON]:
    """The tools the emulated model calls, following ``tool_choice``."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("name")]
    choice = body.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type", "auto")
    if not tools or kind == "none" or (kind == "auto" and answered):
        return []
    if kind == "tool":
        return [t for t in tools if t.get("name") == choice.get("name")][:1]
    ranked = _ranked_tools(tools, user_text)
    parallel = kind == "any" and not choice.get("disable_parallel_tool_use", False)
    return ranked[:2] if parallel else ranked[:1]


def _output_format(body: JSON) -> JSON | None:
    output_format = (body.get("output_config") or {}).get("format")
    if isinstance(output_format, dict) and output_format.get("type") == "json_schema":
        return output_format
    return None


def _answer_text(body: JSON, user_blocks: Sequence[JSON], user_text: str) -> str:
    output_format = _output_format(body)
    if output_format is not None:
        hints = ArgumentHints(user_text)
        return json.dumps(example_from_schema(output_format.get("schema"), hints))
    results = [_block_text(b)[:ECHO_CHARS] for b in user_blocks if b.get("type") == "tool_result"]
    if results:
        return "Tool results: " + " | ".join(results)
    react = react_step(body, user_text)
    if react is not None:
        return react
    marker = _WORDS_MARKER.search(user_text)
    if marker:
        count = min(int(marker.group(1)), MAX_WORDS)
        return " ".join(_VOCABULARY[i % len(_VOCABULARY)] for i in range(count))
    return f"Hello! You said: {user_text[:ECHO_CHARS]}" if user_text else "Hello!"


def _cut_at_stop_sequence(text: str, stops: Sequence[str]) -> tuple[str, str | None]:
    found = [(text.find(s), s) for s in stops if s and s in text]
    if not found:
        return text, None
    index, stop = min(found)
    return text[:index], stop


def _first_sentence(text: str) -> str:
    match = _SENTENCE.match(text)
    return (match.group(1) if match else text.strip())[:ECHO_CHARS]


def _pdf_text(source: JSON) -> str:
    """The literal strings a PDF's text operators show (enough for a citation)."""
    try:
        data = base64.b64decode(str(source.get("data", "")))
    except (ValueError, TypeError):
        return ""
    parts = [m.group(1).decode("latin-1") for m in _PDF_TEXT.finditer(data)]
    return " ".join(p.replace("\\(", "(").replace("\\)", ")") for p in parts)


def _citation_for(block: JSON, index: int) -> JSON:
    """The citation of the first sentence of a document or search result."""
    if block["type"] == "search_result":
        texts = [str(b.get("text", "")) for b in block.get("content") or [] if isinstance(b, dict)]
        return {
            "type": "search_result_location",
            "cited_text": _first_sentence(texts[0] if texts else ""),
            "search_result_index": index,
            "source": block.get("source"),
            "title": block.get("title"),
            "start_block_index": 0,
            "end_block_index": 1,
        }
    source = block.get("source") or {}
    title = block.get("title")
    if source.get("type") == "text":
        cited = _first_sentence(str(source.get("data", "")))
        return {
            "type": "char_location",
            "cited_text": cited,
            "document_index": index,
            "document_title": title,
            "start_char_index": 0,
            "end_char_index": len(cited),
        }
    if source.get("type") == "content":
        inner = source.get("content")
        first = (
            inner
            if isinstance(inner, str)
            else next((str(b.get("text", "")) for b in inner or [] if b.get("type") == "text"), "")
        )
        return {
            "type": "content_block_location",
            "cited_text": _first_sentence(first),
            "document_index": index,
            "document_title": title,
            "start_block_index": 0,
            "end_block_index": 1,
        }
    return {
        "type": "page_location",
        "cited_text": _first_sentence(_pdf_text(source)),
        "document_index": index,
        "document_title": title,
        "start_page_number": 1,
        "end_page_number": 2,
    }


def _citable(message_blocks: Sequence[JSON]) -> list[JSON]:
    """Documents and search results in order, including those inside tool results."""
    found: list[JSON] = []
    for block in message_blocks:
        if block.get("type") in ("document", "search_result"):
            found.append(block)
        elif block.get("type") == "tool_result" and isinstance(block.get("content"), list):
            found.extend(
                b
                for b in block["content"]
                if isinstance(b, dict) and b.get("type") == "search_result"
            )
    return found


def _cited_blocks(messages: Sequence[JSON], user_blocks: Sequence[JSON]) -> list[JSON]:
    """Text blocks citing each citable source of the last user turn that enables citations.

    Documents are numbered across the whole request (``document_index``), search results
    likewise (``search_result_index``), as the Messages API does.
    """
    every: list[JSON] = []
    for message in messages:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            every.extend(_citable([b for b in content if isinstance(b, dict)]))
    latest = {id(block) for block in _citable(user_blocks)}
    counters = {"document": 0, "search_result": 0}
    cited: list[JSON] = []
    for block in every:
        index = counters[block["type"]]
        counters[block["type"]] += 1
        enabled = (block.get("citations") or {}).get("enabled") is True
        if id(block) in latest and enabled:
            citation = _citation_for(block, index)
            text = citation["cited_text"] or "(see the cited source)"
            cited.append({"type": "text", "text": text, "citations": [citation]})
    return cited


# --------------------------------------------------------------------------- ReAct

#: One tool of a ReAct prompt, as LlamaIndex's ReAct agents list them in the system prompt.
_REACT_TOOL = re.compile(
    r"^> Tool Name: (?P<name>[^\n]+)\nTool Description: (?P<description>.*?)\n"
    r"Tool Args: (?P<args>\{[^\n]*\})[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
REACT_OBSERVATION = "Observation:"


def _system_text(body: JSON) -> str:
    system = body.get("system")
    if isinstance(system, str):
        return system
    return "\n".join(str(b.get("text", "")) for b in system or [] if isinstance(b, dict))


def react_step(body: JSON, user_text: str) -> str | None:
    """The next step of a ReAct loop, when the system prompt asks for that text protocol.

    A request without ``tools`` whose system prompt lists tools as ``> Tool Name:`` /
    ``Tool Description:`` / ``Tool Args: {json schema}`` entries and asks for ``Action Input:``
    gets the text a model following the protocol writes: ``Thought:``, ``Action:`` (the tool
    sharing a word with the user's text, else the first) and ``Action Input:`` (JSON built
    from the schema with the user's quoted strings and numbers); after an ``Observation:``
    turn, ``Thought:`` and ``Answer:`` quoting the observation. Other requests get ``None``.
    """
    system = _system_text(body)
    if body.get("tools") or "Action Input:" not in system:
        return None
    tools: list[JSON] = []
    for match in _REACT_TOOL.finditer(system):
        try:
            schema = json.loads(match["args"])
        except ValueError:
            schema = {"type": "object"}
        tools.append(
            {
                "name": match["name"].strip(),
                "description": match["description"],
                "input_schema": schema if isinstance(schema, dict) else {},
            }
        )
    if not tools:
        return None
    if user_text.startswith(REACT_OBSERVATION):
        observation = user_text[len(REACT_OBSERVATION) :].strip()[:ECHO_CHARS]
        return f"Thought: I can answer without using any more tools.\nAnswer: {observation}"
    tool = _ranked_tools(tools, user_text)[0]
    arguments = example_from_schema(tool["input_schema"], ArgumentHints(user_text))
    return (
        "Thought: I need to use a tool to help me answer the question.\n"
        f"Action: {tool['name']}\nAction Input: {json.dumps(arguments)}"
    )


def plan_answer(body: JSON, signer: ThinkingSigner) -> Answer:
    """The deterministic answer to a valid create or stream request.

    See the module documentation of :mod:`claude_vertex.testing` for what the emulated model
    says in which case.
    """
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    user_blocks = [b for b in _last_user_turn(messages) if isinstance(b, dict)]
    user_text = " ".join(_block_text(b) for b in user_blocks if b.get("type") == "text").strip()
    answered = any(b.get("type") == "tool_result" for b in user_blocks)
    budget = int(body.get("max_tokens") or 0) or MAX_WORDS
    content: list[JSON] = []
    thinking_mode = (body.get("thinking") or {}).get("type")
    if thinking_mode in ("enabled", "adaptive"):
        thought = f"Let me think about: {user_text[:ECHO_CHARS] or 'the request'}"
        if REDACTED_THINKING_TRIGGER in user_text:
            content.append({"type": "redacted_thinking", "data": signer.seal(thought)})
        else:
            content.append(
                {"type": "thinking", "thinking": thought, "signature": signer.sign(thought)}
            )
        budget -= _tokens(thought)

    calls = _tool_calls(body, user_text, answered)
    forced = (body.get("tool_choice") or {}).get("type") in ("any", "tool")
    if calls and forced:
        text = ""
    elif calls:
        text = "I'll use the " + " and ".join(str(t["name"]) for t in calls) + " tool."
    else:
        text = _answer_text(body, user_blocks, user_text)
    text, stop_sequence = _cut_at_stop_sequence(text, body.get("stop_sequences") or [])
    stop_reason = "stop_sequence" if stop_sequence is not None else "end_turn"
    if _tokens(text) > max(budget, 0):
        text, stop_reason, stop_sequence = (
            text[: max(budget, 0) * CHARS_PER_TOKEN],
            "max_tokens",
            None,
        )
    if text:
        content.append({"type": "text", "text": text})
    if not calls and not _output_format(body) and stop_reason == "end_turn":
        content.extend(_cited_blocks(messages, user_blocks))
    if calls and stop_reason == "end_turn":
        stop_reason = "tool_use"
        for index, tool in enumerate(calls):
            content.append(
                {
                    "type": "tool_use",
                    "id": _stable_id("toolu_vrtx_", body, index),
                    "name": tool["name"],
                    "input": example_from_schema(
                        tool.get("input_schema") or {"type": "object"}, ArgumentHints(user_text)
                    ),
                }
            )
    output_tokens = max(1, sum(_block_tokens(block) for block in content))
    return Answer(tuple(content), stop_reason, stop_sequence, output_tokens)


def message_json(answer: Answer, model: str, usage: Usage) -> JSON:
    """The Messages API response object for ``answer``; ``model`` is the dash-form id."""
    return {
        "id": "msg_vrtx_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24)),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [dict(block) for block in answer.content],
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
        "usage": {
            "input_tokens": usage.input_tokens,
            "output_tokens": answer.output_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "service_tier": "standard",
        },
    }


# --------------------------------------------------------------------------- streams


def _word_chunks(text: str) -> list[str]:
    """``text`` cut after each word (with its trailing spaces): one delta per word."""
    return re.findall(r"\s*\S+\s*", text) or [text]


def _json_chunks(text: str) -> list[str]:
    """``text`` cut into at least two pieces (when it has two characters), at most eight."""
    size = max(1, math.ceil(len(text) / min(8, max(2, len(text) // 8))))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _block_events(index: int, block: JSON) -> Iterator[tuple[str, JSON]]:
    kind = block["type"]
    if kind == "text" and not block.get("citations"):
        start: JSON = {"type": "text", "text": ""}
        deltas: Iterable[JSON] = (
            {"type": "text_delta", "text": chunk} for chunk in _word_chunks(block["text"])
        )
    elif kind == "text" and block.get("citations"):
        start = {"type": "text", "text": ""}
        deltas = [
            *({"type": "citations_delta", "citation": c} for c in block["citations"]),
            *({"type": "text_delta", "text": chunk} for chunk in _word_chunks(block["text"])),
        ]
    elif kind == "redacted_thinking":
        start, deltas = dict(block), []
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            *({"type": "thinking_delta", "thinking": c} for c in _word_chunks(block["thinking"])),
            {"type": "signature_delta", "signature": block["signature"]},
        ]
    else:
        start = {**block, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": chunk}
            for chunk in _json_chunks(json.dumps(block.get("input", {})))
        ]
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": start},
    )
    for delta in deltas:
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": index}


def stream_events(message: JSON) -> Iterator[bytes]:
    """The SSE events that stream ``message``, each encoded, in order, made as they are taken.

    ``message_start`` (empty content, ``output_tokens`` 1), Vertex's ``vertex_event``, a
    ``ping``, each block's ``content_block_start``/deltas/``content_block_stop``,
    ``message_delta`` (stop reason and final usage) and ``message_stop``.
    """
    for event, data in _message_events(message):
        yield encode_sse(event, data)


def _message_events(message: JSON) -> Iterator[tuple[str, JSON]]:
    usage = message["usage"]
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    yield "message_start", {"type": "message_start", "message": start}
    yield (
        "vertex_event",
        {"type": "vertex_event", "usage_tier": usage.get("service_tier", "standard")},
    )
    yield "ping", {"type": "ping"}
    for index, block in enumerate(message["content"]):
        yield from _block_events(index, block)
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": message["stop_reason"],
                "stop_sequence": message["stop_sequence"],
            },
            "usage": {key: value for key, value in usage.items() if key != "service_tier"},
        },
    )
    yield "message_stop", {"type": "message_stop"}
