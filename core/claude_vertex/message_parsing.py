"""Messages API answers and event streams parsed from bytes into the anthropic SDK's own types.

This is the fast path of :class:`~claude_vertex.VertexClient`. The SDK builds each answer
and each stream event with its recursive, unvalidated ``construct_type``, re-introspecting
the types every time; here pydantic validates the JSON bytes directly into the same classes
(``strict``, so nothing is coerced that the SDK would leave as sent), events through a union
tagged by their ``type``. Whatever fails that validation (a field of another type, a block
or event type the SDK does not know) goes the SDK's own way, so the objects are the SDK's
and equal, under ``==`` and ``model_dump()``, to what its parsing gives for the same bytes
(``tests/core/test_fast_path_conformance.py`` holds recorded answers and streams to both).

The fast path runs only on anthropic SDK releases that the gate, :func:`sdk_release_known`,
knows; on others, or with ``CLAUDE_VERTEX_FAST_PATH=0`` in the environment, every call goes
through the SDK's ``post``.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, TypeVar, Union

import anthropic
import httpx2
import jiter
import pydantic

__all__ = [
    "FAST_PATH_ENV",
    "KNOWN_SDK_RELEASES",
    "AsyncEventSource",
    "EventSource",
    "SseDecoder",
    "event_adapter",
    "fast_path_enabled",
    "parse_answer",
    "sdk_release_known",
]

#: The environment variable that turns the fast path off (``0``, ``false``, ``off``, ``no``).
FAST_PATH_ENV = "CLAUDE_VERTEX_FAST_PATH"
#: The anthropic SDK releases (major, minor) whose parsing the fast path has been held to by
#: the conformance test. A release missing here is parsed by the SDK itself; add it once the
#: conformance test passes on it.
KNOWN_SDK_RELEASES = frozenset({(2, 14)})

_Model = TypeVar("_Model", bound=pydantic.BaseModel)
_new = object.__new__
_set = object.__setattr__

#: What turns one event's JSON (already decoded) into an event as the SDK's stream does.
SdkEventParser = Callable[[object], Any]
#: What makes the error an ``error`` event raises, from its ``data``.
StreamErrorFactory = Callable[[str], Exception]


def sdk_release_known(version: str) -> bool:
    """Whether the anthropic SDK ``version`` (``"2.14.0"``) is one the fast path knows."""
    parts = version.split(".")
    try:
        release = (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        return False
    return release in KNOWN_SDK_RELEASES


def fast_path_enabled() -> bool:
    """Whether new clients take the fast path: a known SDK, and not turned off."""
    setting = os.environ.get(FAST_PATH_ENV, "").strip().lower()
    if setting in ("0", "false", "off", "no"):
        return False
    return (
        sdk_release_known(anthropic.__version__)
        and _per_call_extra()
        and event_adapter(anthropic.types.RawMessageStreamEvent) is not None
    )


@functools.cache
def _per_call_extra() -> bool:
    """Whether pydantic validates with a per-call ``extra`` setting (pydantic 2.12 and later)."""
    return "extra" in inspect.signature(pydantic.TypeAdapter.validate_json).parameters


def parse_answer(content: bytes, cast_to: type[_Model]) -> _Model | None:
    """``content`` (a whole answer's JSON) as a ``cast_to``; ``None``: leave it to the SDK.

    Strict validation succeeds only where every value already has its field's type and no
    object has a field its class lacks (the SDK keeps those as extras that it does not count
    as set), so the result equals the SDK's unvalidated construction of the same JSON.
    """
    try:
        return _extras_emptied(cast_to.model_validate_json(content, strict=True, extra="forbid"))
    except pydantic.ValidationError:
        return None


def _extras_emptied(model: _Model) -> _Model:
    """``model`` with the empty extras of its objects made ``{}`` again, as the SDK's are.

    Validating with ``extra="forbid"`` leaves ``None`` where a class that allows extras has
    ``{}`` (``model_extra``; and setting an attribute that is no field would fail).
    """
    if model.__pydantic_extra__ is None and type(model).model_config.get("extra") == "allow":
        _set(model, "__pydantic_extra__", {})
    for value in model.__dict__.values():
        if isinstance(value, pydantic.BaseModel):
            _extras_emptied(value)
        elif type(value) is list:
            for item in value:
                if isinstance(item, pydantic.BaseModel):
                    _extras_emptied(item)
    return model


def _union_members(event_type: Any) -> tuple[Any, ...]:
    if typing.get_origin(event_type) is Annotated:
        event_type = typing.get_args(event_type)[0]
    if typing.get_origin(event_type) is not Union:
        return ()
    return typing.get_args(event_type)


def _type_literal(member: Any) -> bool:
    """Whether ``member`` is a model whose ``type`` field is one literal (a tag)."""
    field = getattr(member, "model_fields", {}).get("type")
    if field is None or typing.get_origin(field.annotation) is not typing.Literal:
        return False
    return len(typing.get_args(field.annotation)) == 1


@functools.lru_cache(maxsize=8)
def event_adapter(event_type: Any) -> pydantic.TypeAdapter[Any] | None:
    """A validator of ``event_type`` (a union of event models) tagged by their ``type``.

    ``None`` when ``event_type`` has another shape (the SDK then parses every event). For
    valid JSON only one member can match (the tags differ), so tagging picks the member
    that the SDK's untagged union would.
    """
    members = _union_members(event_type)
    if not members or not all(_type_literal(member) for member in members):
        return None
    tagged: Any = Annotated[Union[members], pydantic.Field(discriminator="type")]  # noqa: UP007
    try:
        return pydantic.TypeAdapter(tagged)
    except (pydantic.PydanticUserError, TypeError):
        return None


# --------------------------------------------------------------------------- server-sent events


def _fields(block: bytes) -> tuple[bytes, bytes] | None:
    """The event name and data of one event's lines; ``None`` for an event without a name."""
    # The usual shape first: one "event:" line, then one "data:" line.
    if block.startswith(b"event: "):
        head, _, data = block.partition(b"\n")
        if data.startswith(b"data: ") and b"\n" not in data:
            return head[7:], data[6:]
    name: bytes | None = None
    lines: list[bytes] = []
    for line in block.split(b"\n"):
        field, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if field == b"event":
            name = value
        elif field == b"data":
            lines.append(value)
    return None if name is None else (name, b"\n".join(lines))


class SseDecoder:
    r"""Server-sent events from the bytes of a stream, as the SDK reads them.

    An event ends at a blank line (an unfinished last one is dropped); line breaks may be
    ``\n``, ``\r\n`` or ``\r``; comments and ``id``/``retry`` fields are ignored; an event
    without a name is skipped (the SDK's stream skips those).
    """

    def __init__(self) -> None:
        self._pending = b""
        self._held = b""  # a final "\r" of a chunk, whose "\n" may open the next

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        """The (event name, data) of each event that ``chunk`` completes."""
        if self._held or b"\r" in chunk:
            chunk = self._held + chunk
            self._held = b"\r" if chunk.endswith(b"\r") else b""
            if self._held:
                chunk = chunk[:-1]
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        pending = self._pending + chunk
        if b"\n\n" not in pending:
            self._pending = pending
            return []
        *blocks, self._pending = pending.split(b"\n\n")
        return [event for event in map(_fields, blocks) if event is not None]

    def end(self) -> list[tuple[bytes, bytes]]:
        r"""The events that the end of the stream completes (a held ``\r`` ends a line)."""
        if not self._held:
            return []
        self._held = b""
        return self.feed(b"\n")


#: Event names skipped unread: keep-alives, and Vertex's own usage report, which the core's
#: streams drop (the SDK would build an object of an unknown event type for it).
SKIPPED_EVENTS = frozenset({b"ping", b"vertex_event"})
#: The deltas streamed most (one per few tokens), built directly from their JSON: the field
#: that holds each one's text.
HOT_DELTAS = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "input_json_delta": "partial_json",
}


def _literal_tag(member: Any) -> str:
    return str(typing.get_args(member.model_fields["type"].annotation)[0])


def _built(cls: type[pydantic.BaseModel], values: dict[str, Any]) -> Any:
    """A ``cls`` holding ``values``, set as pydantic's validation sets them (no extras)."""
    model = _new(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", {})
    _set(model, "__pydantic_private__", None)
    return model


class _HotDeltas:
    """Builds ``content_block_delta`` events of the hot delta types without validation.

    Only an event of exactly the usual shape (an int ``index``, a delta of one hot type with
    a string, nothing else) is built here, and only for classes whose built objects were
    found identical (``==``, fields set, extras, private state) to validated ones.
    """

    def __init__(self, adapter: pydantic.TypeAdapter[Any], event_type: Any) -> None:
        members = {_literal_tag(member): member for member in _union_members(event_type)}
        self.event_cls = members.get("content_block_delta")
        self.deltas: dict[str, tuple[type[pydantic.BaseModel], str]] = {}
        if self.event_cls is None or set(self.event_cls.model_fields) != {"delta", "index", "type"}:
            return
        delta_members = _union_members(self.event_cls.model_fields["delta"].annotation)
        by_tag = {_literal_tag(m): m for m in delta_members if _type_literal(m)}
        for tag, field in HOT_DELTAS.items():
            cls = by_tag.get(tag)
            if cls is None or set(cls.model_fields) != {field, "type"}:
                continue  # a field more, or fewer: leave it to validation
            if self._matches(adapter, cls, tag, field):
                self.deltas[tag] = (cls, field)

    def _matches(
        self,
        adapter: pydantic.TypeAdapter[Any],
        cls: type[pydantic.BaseModel],
        tag: str,
        field: str,
    ) -> bool:
        sample = {"type": "content_block_delta", "index": 1, "delta": {"type": tag, field: "x"}}
        try:
            valid = _extras_emptied(adapter.validate_python(sample, strict=True, extra="forbid"))
        except pydantic.ValidationError:
            return False
        built = self.build(sample, cls, field)
        return all(
            (
                built == valid,
                built.model_fields_set == valid.model_fields_set,
                built.delta.model_fields_set == valid.delta.model_fields_set,
                built.__pydantic_extra__ == valid.__pydantic_extra__,
                built.delta.__pydantic_extra__ == valid.delta.__pydantic_extra__,
                built.__pydantic_private__ == valid.__pydantic_private__,
                built.model_dump() == valid.model_dump(),
            )
        )

    def build(self, event: dict[str, Any], cls: type[pydantic.BaseModel], field: str) -> Any:
        """The event object of ``event``, whose delta is a ``cls`` with text in ``field``."""
        delta = _built(cls, {field: event["delta"][field], "type": event["delta"]["type"]})
        assert self.event_cls is not None
        return _built(
            self.event_cls, {"delta": delta, "index": event["index"], "type": "content_block_delta"}
        )

    def event(self, data: bytes) -> Any:
        """The event of ``data`` if it has the usual shape of a hot delta, else ``None``."""
        try:
            event = jiter.from_json(data, cache_mode="keys")
        except ValueError:
            return None
        if type(event) is not dict or len(event) != 3 or type(event.get("index")) is not int:
            return None
        delta = event.get("delta")
        if type(delta) is not dict or len(delta) != 2 or event["type"] != "content_block_delta":
            return None
        hot = self.deltas.get(delta.get("type"))  # type: ignore[arg-type]
        if hot is None or type(delta.get(hot[1])) is not str:
            return None
        return self.build(event, *hot)


@functools.lru_cache(maxsize=8)
def _hot_deltas(event_type: Any) -> _HotDeltas | None:
    adapter = event_adapter(event_type)
    return None if adapter is None else _HotDeltas(adapter, event_type)


class _EventParser:
    """Turns one event's name and data into the SDK's event object, or raises its error."""

    def __init__(
        self, event_type: Any, sdk_event: SdkEventParser, stream_error: StreamErrorFactory
    ) -> None:
        adapter = event_adapter(event_type)
        hot = _hot_deltas(event_type)
        if adapter is None or hot is None:
            raise TypeError(f"no fast parser for {event_type!r}")
        self._validate = functools.partial(adapter.validate_json, strict=True, extra="forbid")
        self._hot = hot.event if hot.deltas else None
        self._sdk_event = sdk_event
        self._stream_error = stream_error

    def events(self, sse: list[tuple[bytes, bytes]]) -> Iterator[Any]:
        """The events of ``sse``, as the SDK's stream yields them (skipped ones aside)."""
        validate, hot = self._validate, self._hot
        for name, data in sse:
            if name == b"content_block_delta" and hot is not None:
                event = hot(data)
                if event is not None:
                    yield event
                    continue
            if name in SKIPPED_EVENTS:
                continue
            if name == b"error":
                raise self._stream_error(data.decode())
            if not data:
                continue
            try:
                yield _extras_emptied(validate(data))
            except pydantic.ValidationError:
                yield self._sdk_event(json.loads(data))


class EventSource:
    """The events of one streamed answer, parsed from its bytes; the SDK's ``Stream`` stand-in.

    Iterating reads the response (through its hooks: deadline, size caps); the response is
    closed at the end, on an error, and by :meth:`close`.
    """

    def __init__(
        self,
        response: httpx2.Response,
        event_type: Any,
        sdk_event: SdkEventParser,
        stream_error: StreamErrorFactory,
    ) -> None:
        #: The HTTP response the events arrive on.
        self.response = response
        self._parser = _EventParser(event_type, sdk_event, stream_error)

    def __iter__(self) -> Iterator[Any]:
        decoder, events = SseDecoder(), self._parser.events
        try:
            for chunk in self.response.iter_bytes():
                yield from events(decoder.feed(chunk))
            yield from events(decoder.end())
        finally:
            self.response.close()

    def close(self) -> None:
        """Release the connection."""
        self.response.close()


class AsyncEventSource:
    """The async form of :class:`EventSource`: the SDK's ``AsyncStream`` stand-in."""

    def __init__(
        self,
        response: httpx2.Response,
        event_type: Any,
        sdk_event: SdkEventParser,
        stream_error: StreamErrorFactory,
    ) -> None:
        #: The HTTP response the events arrive on.
        self.response = response
        self._parser = _EventParser(event_type, sdk_event, stream_error)

    async def __aiter__(self) -> AsyncIterator[Any]:
        decoder, events = SseDecoder(), self._parser.events
        try:
            async for chunk in self.response.aiter_bytes():
                for event in events(decoder.feed(chunk)):
                    yield event
            for event in events(decoder.end()):
                yield event
        finally:
            await self.response.aclose()

    async def close(self) -> None:
        """Release the connection."""
        await self.response.aclose()
