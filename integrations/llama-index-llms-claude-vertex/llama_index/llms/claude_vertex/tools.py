"""LlamaIndex tools in, Messages API ``tools`` and ``tool_choice`` out; tool calls back out.

Claude's rules about tool choice (forced use while thinking, a choice without tools) are
the core's call policy (:func:`claude_vertex.apply_call_policy`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection

from claude_vertex import CallPolicyWarning, parse_tool_arguments
from claude_vertex import tool_choice_param as core_tool_choice_param

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


#: The core's :class:`~claude_vertex.CallPolicyWarning`, under its earlier name.
ForcedToolChoiceWarning = CallPolicyWarning


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
) -> JSON:
    """The ``tool_choice`` for a call.

    Args:
        choice: ``"auto"``, ``"any"`` (or ``"required"``), ``"none"``, a tool name, or a
            Messages API ``tool_choice`` object; ``None`` follows ``tool_required``.
        tool_required: whether the answer must call a tool (``any``).
        allow_parallel_tool_calls: whether Claude may call several tools in one answer.
    """
    param = core_tool_choice_param(
        choice if choice is not None else ("any" if tool_required else "auto"),
        parallel=allow_parallel_tool_calls,
    )
    assert param is not None  # a choice was given
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
