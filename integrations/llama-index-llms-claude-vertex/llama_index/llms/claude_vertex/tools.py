"""LlamaIndex tools in, Messages API ``tools`` and ``tool_choice`` out; tool calls back out.

Claude refuses forced tool use (``tool_choice`` ``any`` or a named tool) while it thinks, so
with thinking on a forced choice becomes ``auto`` with a :class:`ForcedToolChoiceWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection

from claude_vertex import parse_tool_arguments

from .utils import JSON

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "ForcedToolChoiceWarning",
    "keep_first_tool_call",
    "tool_choice_param",
    "tool_params",
    "tool_selections",
]

_CHOICE_TYPES = ("auto", "any", "none")


class ForcedToolChoiceWarning(UserWarning):
    """Forced tool use was asked for while thinking is on; ``auto`` was sent instead."""


def tool_params(tools: Sequence[BaseTool]) -> list[JSON]:
    """The Messages API definitions of LlamaIndex tools (name, description, JSON schema)."""
    definitions: list[JSON] = []
    for tool in tools:
        metadata = tool.metadata
        definition: JSON = {
            "name": metadata.get_name(),
            "input_schema": metadata.get_parameters_dict(),
        }
        if metadata.description:
            definition["description"] = metadata.description
        definitions.append(definition)
    return definitions


def tool_choice_param(
    choice: str | Mapping[str, Any] | None,
    *,
    tool_required: bool,
    allow_parallel_tool_calls: bool,
    thinking_on: bool,
) -> JSON:
    """The ``tool_choice`` for a call.

    Args:
        choice: ``"auto"``, ``"any"`` (or ``"required"``), ``"none"``, a tool name, or a
            Messages API ``tool_choice`` object; ``None`` follows ``tool_required``.
        tool_required: whether the answer must call a tool (``any``).
        allow_parallel_tool_calls: whether Claude may call several tools in one answer.
        thinking_on: whether thinking is on, which rules out forced tool use.
    """
    if isinstance(choice, Mapping):
        param: JSON = dict(choice)
    elif choice in _CHOICE_TYPES:
        param = {"type": choice}
    elif choice == "required":
        param = {"type": "any"}
    elif isinstance(choice, str) and choice:
        param = {"type": "tool", "name": choice}
    else:
        param = {"type": "any" if tool_required else "auto"}
    if thinking_on and param.get("type") in ("any", "tool"):
        warnings.warn(
            "Claude cannot be forced to call a tool while it thinks; sending tool_choice "
            "'auto' instead. The answer may hold no tool call.",
            ForcedToolChoiceWarning,
            stacklevel=4,
        )
        param = {k: v for k, v in param.items() if k != "name"} | {"type": "auto"}
    if param.get("type") != "none" and not allow_parallel_tool_calls:
        param["disable_parallel_tool_use"] = True
    return param


def _arguments(call: ToolCallBlock) -> JSON:
    arguments: object = call.tool_kwargs
    if isinstance(arguments, str):
        arguments = parse_tool_arguments(arguments)
    return dict(arguments) if isinstance(arguments, Mapping) else {}


def tool_selections(response: ChatResponse, *, error_on_no_tool_call: bool) -> list[ToolSelection]:
    """The tool calls of an answer (or of a streamed answer so far).

    Raises:
        ValueError: the answer calls no tool and ``error_on_no_tool_call`` is true.
    """
    calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    if not calls and error_on_no_tool_call:
        raise ValueError("Expected at least one tool call, but the answer has none.")
    return [
        ToolSelection(
            tool_id=call.tool_call_id or "", tool_name=call.tool_name, tool_kwargs=_arguments(call)
        )
        for call in calls
    ]


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """The response with every tool call after the first one removed."""
    blocks = []
    seen = False
    for block in response.message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        blocks.append(block)
    if len(blocks) == len(response.message.blocks):
        return response
    extra = dict(response.message.additional_kwargs)
    if isinstance(extra.get("tool_calls"), list):
        extra["tool_calls"] = extra["tool_calls"][:1]
    message = ChatMessage(role=response.message.role, blocks=blocks, additional_kwargs=extra)
    return response.model_copy(update={"message": message})
