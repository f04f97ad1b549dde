"""Tools and structured output: LangChain tools in, Messages API ``tools`` and ``tool_choice``.

:func:`convert_to_anthropic_tool` accepts anything LangChain's ``convert_to_openai_tool``
does (pydantic models, TypedDicts, functions, ``BaseTool`` objects, JSON schemas, OpenAI tool
dicts) plus Anthropic tool dicts, which pass through (custom tools with ``input_schema`` and
the Anthropic-defined tools Vertex serves, such as ``web_search_20250305``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal, Protocol

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool, create_schema_from_function
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from claude_vertex.call_policy import json_schema_format, strict_tool

__all__ = [
    "StructuredOutputMethod",
    "ToolChoice",
    "convert_to_anthropic_tool",
    "structured_output",
]

ToolLike = Mapping[str, Any] | type | Callable[..., Any] | BaseTool
ToolChoice = str | bool | Mapping[str, Any] | None
StructuredOutputMethod = Literal["function_calling", "json_schema", "json_mode"]

#: Provider-specific tool options LangChain carries in ``BaseTool.extras``.
_TOOL_EXTRAS = ("cache_control", "defer_loading", "input_examples")


def _is_anthropic_tool(tool: Mapping[str, Any]) -> bool:
    """An Anthropic tool dict: a custom tool with ``input_schema`` or a typed built-in tool."""
    if "input_schema" in tool:
        return True
    kind = tool.get("type")
    return (
        isinstance(kind, str)
        and kind not in ("function", "custom", "object")
        and "name" in tool
        and "parameters" not in tool
        and "function" not in tool
    )


def convert_to_anthropic_tool(tool: ToolLike, *, strict: bool | None = None) -> dict[str, Any]:
    """One tool definition in the Messages API's shape.

    Args:
        tool: a pydantic model, TypedDict, function, ``BaseTool``, JSON schema, OpenAI tool
            dict, or Anthropic tool dict.
        strict: ``True`` asks Claude to follow the input schema exactly (strict tool use);
            the schema is then rewritten to the subset strict mode accepts.
    """
    if isinstance(tool, Mapping) and _is_anthropic_tool(tool):
        formatted = dict(tool)
    else:
        function = convert_to_openai_tool(tool)["function"]
        recursive = _recursive_schema(_source_schema(tool))
        formatted = {
            "name": function["name"],
            "input_schema": recursive
            or function.get("parameters")
            or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            formatted["description"] = function["description"]
        extras = getattr(tool, "extras", None)
        if isinstance(extras, Mapping):
            formatted.update({k: extras[k] for k in _TOOL_EXTRAS if k in extras})
    if strict and "input_schema" in formatted:
        formatted = strict_tool(formatted)
    elif strict is False and "input_schema" in formatted:
        formatted["strict"] = False
    return formatted


# --------------------------------------------------------------------------- recursive schemas
# LangChain inlines every $ref of a schema; a definition that refers to itself (a tree, a
# linked list) is cut where it recurs and becomes {}, so "children: list[Node]" would reach
# Claude as "items: {}". Such schemas are sent as written instead, $defs and $ref kept.


def _source_schema(tool: object) -> Mapping[str, Any] | None:
    """The JSON schema of a tool's arguments before LangChain inlines its references."""
    if isinstance(tool, BaseTool):
        tool = tool.tool_call_schema
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        return tool.model_json_schema()
    if isinstance(tool, Mapping):
        function = tool.get("function")
        inner = function.get("parameters") if isinstance(function, Mapping) else None
        return inner if isinstance(inner, Mapping) else tool
    if callable(tool) and not isinstance(tool, type) and hasattr(tool, "__name__"):
        try:
            model = create_schema_from_function(tool.__name__, tool, parse_docstring=True)
        except Exception:  # LangChain's own conversion reports what it cannot read
            return None
        return _source_schema(model)
    return None


def _references(node: object) -> Iterator[str]:
    """The names of the definitions ``node`` refers to (``#/$defs/X``, ``#/definitions/X``)."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            yield ref.rpartition("/")[2]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _definitions(schema: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in ("definitions", "$defs"):
        if isinstance(schema.get(key), Mapping):
            found.update(schema[key])
    return found


def _is_recursive(definitions: Mapping[str, Any]) -> bool:
    """Whether a definition refers to itself, directly or through others."""
    graph = {name: set(_references(body)) for name, body in definitions.items()}
    reached: dict[str, set[str]] = {}

    def reach(name: str) -> set[str]:
        if name not in reached:
            reached[name] = set()  # a cycle back here adds nothing new
            for target in graph.get(name, ()):
                reached[name] |= {target} | reach(target)
        return reached[name]

    return any(name in reach(name) for name in graph)


def _recursive_schema(schema: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``schema`` as Claude should see it if it is recursive (else None: LangChain's serves).

    A root that is itself a ``$ref`` (a recursive model as the tool) is replaced by its
    definition; titles and the description at the root are left out, as LangChain does.
    """
    if schema is None:
        return None
    definitions = _definitions(schema)
    if not _is_recursive(definitions):
        return None
    root = dict(schema)
    ref = root.pop("$ref", None)
    if isinstance(ref, str) and "properties" not in root:
        root = {**definitions.get(ref.rpartition("/")[2], {}), **root}
    return {k: v for k, v in root.items() if k not in ("title", "description")}


def _parser_for_tool(schema: Any, name: str) -> Runnable[AIMessage, Any]:
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        return PydanticToolsParser(tools=[schema], first_tool_only=True)
    return JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)


def _parser_for_text(schema: Any) -> Runnable[AIMessage, Any]:
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


class _Bindable(Protocol):
    """What :func:`structured_output` needs of the chat model."""

    model: str

    def bind(self, **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]: ...

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: ToolChoice = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]: ...


def structured_output(
    model: _Bindable,
    schema: Mapping[str, Any] | type | None,
    *,
    method: StructuredOutputMethod,
    include_raw: bool,
    strict: bool | None,
    native_json_schema: bool,
) -> Runnable[LanguageModelInput, Any]:
    """The runnable behind ``ChatClaudeVertex.with_structured_output``.

    ``function_calling`` forces a call of a tool whose input schema is ``schema``;
    ``json_schema`` constrains the answer with ``output_config.format`` where the model
    supports it (``native_json_schema``), else falls back to ``function_calling`` with a
    warning; ``json_mode`` parses the answer's text as JSON, constrained by ``schema`` the way
    ``json_schema`` is when one is given.
    """
    requested = method
    if method == "json_mode":
        if schema is None:
            llm = model.bind(
                ls_structured_output_format={
                    "kwargs": {"method": "json_mode"},
                    "schema": {"type": "object"},
                }
            )
            return _with_raw(llm, JsonOutputParser(), include_raw)
        method = "json_schema"
    if schema is None:
        raise ValueError(f"with_structured_output(method={method!r}) needs a schema.")
    if method == "json_schema" and not native_json_schema:
        warnings.warn(
            f"{model.model} does not support structured outputs (output_config.format); "
            "using method='function_calling' instead.",
            stacklevel=3,
        )
        method = "function_calling"
    trace = {"kwargs": {"method": requested, "strict": strict}, "schema": schema}
    if method == "function_calling":
        name = convert_to_anthropic_tool(schema)["name"]
        llm = model.bind_tools(
            [schema], tool_choice=name, strict=strict, ls_structured_output_format=trace
        )
        return _with_raw(llm, _parser_for_tool(schema, name), include_raw)
    if method != "json_schema":
        raise ValueError(
            f"Unknown structured output method {method!r}: use "
            "'function_calling', 'json_schema' or 'json_mode'."
        )
    json_schema = _recursive_schema(_source_schema(schema)) or convert_to_json_schema(
        _schema_arg(schema)
    )
    output_format = json_schema_format(json_schema)
    llm = model.bind(output_config={"format": output_format}, ls_structured_output_format=trace)
    return _with_raw(llm, _parser_for_text(schema), include_raw)


def _schema_arg(schema: Mapping[str, Any] | type) -> dict[str, Any] | type:
    return dict(schema) if isinstance(schema, Mapping) else schema


def _with_raw(
    llm: Runnable[LanguageModelInput, Any], parser: Runnable[AIMessage, Any], include_raw: bool
) -> Runnable[LanguageModelInput, Any]:
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    unparsed = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([unparsed], exception_key="parsing_error")
