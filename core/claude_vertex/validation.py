"""Pre-flight checks of a conversation: what Vertex would refuse, refused before sending.

Only rules the Messages API states are checked (so a valid request is never refused): a
non-empty list of user/assistant messages, no empty text, tool results that answer the
previous assistant turn, inline base64 media of an accepted type and size, and no URL
sources (Vertex does not fetch them). Each error names the message and block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import MessageValidationError
from .media_types import (
    DOCUMENT_MEDIA_TYPES,
    IMAGE_MEDIA_TYPES,
    MAX_IMAGE_BYTES,
    base64_decoded_size,
)

__all__ = ["block_place", "nothing_to_send", "validate_messages"]

_ROLES = ("user", "assistant")
#: What an assistant turn's blocks can answer: no tool call (never added to).
_NOTHING: frozenset[str] = frozenset()


def block_place(index: int, role: object, block: int | None = None, kind: object = None) -> str:
    """Where a message or block is, as errors name it: ``messages[i] (role), content[j] (kind)``."""
    place = f"messages[{index}] ({role})"
    return place if block is None else f"{place}, content[{block}] ({kind})"


def _text_excerpt(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    text = (
        content
        if isinstance(content, str)
        else " ".join(str(b.get("text", "")) for b in content or () if isinstance(b, Mapping))
    )
    text = " ".join(text.split())
    return f' starting "{text[:40]}"' if text else ""


def _tool_use_ids(message: Mapping[str, Any] | None) -> set[str]:
    if (
        message is None
        or message.get("role") != "assistant"
        or isinstance(message.get("content"), str)
    ):
        return set()
    return {
        str(b.get("id"))
        for b in message.get("content") or ()
        if isinstance(b, Mapping) and b.get("type") in ("tool_use", "server_tool_use")
    }


def _check_source(source: object, where: str, kind: str) -> None:
    if not isinstance(source, Mapping):
        raise MessageValidationError(f"{where}: a {kind} block needs a source.")
    source_type = source.get("type")
    if source_type in ("url", "file"):
        raise MessageValidationError(
            f"{where}: Vertex AI does not fetch {source_type} sources. Send the bytes as a "
            "base64 source (claude_vertex.resolve_media reads a MediaSource's URL, gs:// "
            "object or file)."
        )
    if source_type != "base64":
        return
    media_type = source.get("media_type")
    allowed = IMAGE_MEDIA_TYPES if kind == "image" else DOCUMENT_MEDIA_TYPES
    if media_type not in allowed:
        raise MessageValidationError(
            f"{where}: media type {media_type!r} is not accepted for {kind} blocks; use one "
            f"of {', '.join(allowed)}."
        )
    data = source.get("data")
    if not isinstance(data, str) or not data:
        raise MessageValidationError(f"{where}: the base64 data is empty.")
    size = base64_decoded_size(data)
    if kind == "image" and size > MAX_IMAGE_BYTES:
        raise MessageValidationError(
            f"{where}: the image is about {size:,} bytes; Vertex accepts at "
            f"most {MAX_IMAGE_BYTES:,}. Resize or recompress it."
        )


def _check_block(
    block: object,
    index: int,
    role: object,
    position: int,
    answerable: set[str] | frozenset[str],
    answered: set[str],
) -> None:
    # The place of the block (``block_place``) is only formatted on the way to an error: valid
    # conversations, the common case, pay one type check per block.
    if not isinstance(block, Mapping):
        raise MessageValidationError(
            f"{block_place(index, role, position, None)}: a content block must be a dict "
            "with a 'type'."
        )
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        if not (text if isinstance(text, str) else str(text or "")).strip():
            raise MessageValidationError(
                f"{block_place(index, role, position, kind)}: text blocks must hold non-whitespace "
                "text; drop the empty block."
            )
    elif kind in ("image", "document"):
        _check_source(block.get("source"), block_place(index, role, position, kind), str(kind))
    elif kind == "tool_result":
        tool_use_id = str(block.get("tool_use_id"))
        if tool_use_id not in answerable:
            raise MessageValidationError(
                f"{block_place(index, role, position, kind)}: tool_result for {tool_use_id!r} "
                "answers no tool_use of the assistant message right before it. Keep each tool "
                "result directly after the assistant turn that called the tool."
            )
        answered.add(tool_use_id)
        content = block.get("content")
        if isinstance(content, Sequence) and not isinstance(content, str):
            for inner in content:
                if isinstance(inner, Mapping) and inner.get("type") in ("image", "document"):
                    _check_source(
                        inner.get("source"),
                        block_place(index, role, position, kind),
                        str(inner.get("type")),
                    )


def _unanswered(calls: set[str], answered: set[str], index: int) -> None:
    missing = sorted(calls - answered)
    if missing:
        raise MessageValidationError(
            f"messages[{index}] (user) must answer every tool call of the assistant turn "
            f"before it; no tool_result for {', '.join(map(repr, missing))}."
        )


def _checked_role(message: object, index: int) -> str:
    """The role of ``messages[index]``, which must be a dict of a user or assistant turn."""
    if not isinstance(message, Mapping):
        raise MessageValidationError(f"messages[{index}] must be a dict with role/content.")
    role = message.get("role")
    if role not in _ROLES:
        hint = (
            " Put system prompts in the 'system' parameter, not in messages."
            if role == "system"
            else ""
        )
        raise MessageValidationError(
            f"messages[{index}] has role {role!r}; only 'user' and 'assistant' are allowed.{hint}"
        )
    return str(role)


def _check_content(
    message: Mapping[str, Any],
    index: int,
    role: str,
    answerable: set[str] | frozenset[str],
    answered: set[str],
) -> None:
    """Non-empty text, or a non-empty list of blocks each of which Vertex accepts."""
    content = message.get("content")
    if isinstance(content, str):
        if not content.strip():
            raise MessageValidationError(
                f"{block_place(index, role)} is empty; every message needs non-whitespace content."
            )
    elif not isinstance(content, Sequence) or not content:
        raise MessageValidationError(
            f"{block_place(index, role)}{_text_excerpt(message)} has no content blocks."
        )
    else:
        for position, block in enumerate(content):
            _check_block(block, index, role, position, answerable, answered)


def validate_messages(messages: object) -> None:
    """Raise :class:`MessageValidationError` if Vertex would refuse ``messages``.

    Consecutive messages of one role form one turn, as the Messages API merges them.

    Raises:
        MessageValidationError: naming the first offending message and block.
    """
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        raise MessageValidationError(
            "messages must be a non-empty list: add at least one user message."
        )
    calls: set[str] = set()  # tool_use ids the current user turn must answer
    answered: set[str] = set()
    previous_role: object = None
    for index, message in enumerate(messages):
        role = _checked_role(message, index)
        if role == "assistant" and previous_role != "assistant":  # a new assistant turn
            if previous_role == "user":
                _unanswered(calls, answered, index - 1)
            calls, answered = set(), set()
        if role == "assistant":
            calls |= _tool_use_ids(message)
        answerable = calls if role == "user" else _NOTHING
        _check_content(message, index, role, answerable, answered)
        previous_role = role
    if previous_role == "user":
        _unanswered(calls, answered, len(messages) - 1)


def nothing_to_send(empty: Sequence[str]) -> MessageValidationError:
    """The error for a conversation whose messages were all left out as empty.

    Args:
        empty: where each left-out message was, e.g. ``"messages[0] (HumanMessage)"``.
    """
    return MessageValidationError(
        f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty (empty text is left "
        "out), which leaves no message to send. Give the conversation a user message with "
        "content."
    )
