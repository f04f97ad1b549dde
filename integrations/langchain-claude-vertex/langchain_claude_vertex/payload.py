"""One call's Messages API parameters, from the model's settings and the call's arguments.

Model facts (default ``max_tokens``, features) come from :func:`claude_vertex.resolve_model`.
Where thinking forbids a setting (forced tool use, ``temperature`` other than 1, ``top_k``,
``top_p`` below 0.95) the setting is dropped with a warning rather than sent to be refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anthropic import transform_schema
from langchain_core.messages import BaseMessage

from claude_vertex import ModelInfo, resolve_model

from .messages import Prompt, to_prompt
from .tools import convert_to_anthropic_tool, tool_choice_param

__all__ = ["CallDefaults", "PreparedCall", "ThinkingConflictWarning", "prepare_call"]

#: Call arguments this module consumes; any other keyword argument is a body field.
_HANDLED = frozenset(
    {
        "model",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "thinking",
        "effort",
        "betas",
        "timeout",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "cache_control",
        "output_config",
        "stream",
        "stream_usage",
        "stop_sequences",
        "response_format",
    }
)


class ThinkingConflictWarning(UserWarning):
    """A setting was dropped because Claude refuses it while thinking is on."""


@dataclass(frozen=True)
class CallDefaults:
    """The model object's settings that shape a request (no endpoint, no credentials)."""

    model: str
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: Sequence[str] | None = None
    thinking: Mapping[str, Any] | None = None
    effort: str | None = None
    betas: Sequence[str] = ()
    timeout: float | None = None
    stream_usage: bool = True
    model_kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class PreparedCall:
    """A call ready to send once its media is read: see :meth:`params_with`."""

    #: The model as asked for (any id form) and what the model table knows of it.
    model: str
    info: ModelInfo
    prompt: Prompt
    #: Everything but ``system`` and ``messages``.
    params: dict[str, Any]
    betas: tuple[str, ...]
    timeout: float | None
    stream_usage: bool

    @property
    def thinking_on(self) -> bool:
        """Whether the call asks for thinking."""
        return _thinking_on(self.params.get("thinking"))

    @property
    def plain_text_stream(self) -> bool:
        """Whether a stream can only be text, so chunks may carry plain strings."""
        return not (self.params.get("tools") or self.thinking_on or self.prompt.may_cite())

    def params_with(self, prompt_params: Mapping[str, Any]) -> dict[str, Any]:
        """The complete Messages API parameters, given the resolved ``system``/``messages``."""
        return {**self.params, **prompt_params}


def _thinking_on(thinking: object) -> bool:
    return isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")


def _conflict(message: str) -> None:
    warnings.warn(message, ThinkingConflictWarning, stacklevel=5)


def _drop_thinking_conflicts(params: dict[str, Any]) -> None:
    """Remove what Claude refuses while thinking, warning about each."""
    choice = params.get("tool_choice")
    if isinstance(choice, Mapping) and choice.get("type") in ("any", "tool"):
        _conflict(
            f"tool_choice {dict(choice)!r} was dropped: Claude cannot be forced to use "
            "a tool while thinking is on, so the model chooses (tool_choice auto)."
        )
        relaxed: dict[str, Any] = {"type": "auto"}
        if "disable_parallel_tool_use" in choice:
            relaxed["disable_parallel_tool_use"] = choice["disable_parallel_tool_use"]
        params["tool_choice"] = relaxed
    if params.get("temperature") not in (None, 1, 1.0):
        _conflict(
            f"temperature={params.pop('temperature')} was dropped: with thinking on, "
            "Claude only accepts temperature 1."
        )
    if params.get("top_k") is not None:
        _conflict(
            f"top_k={params.pop('top_k')} was dropped: Claude does not accept top_k "
            "while thinking is on."
        )
    top_p = params.get("top_p")
    if top_p is not None and not 0.95 <= top_p <= 1:
        params.pop("top_p")
        _conflict(
            f"top_p={top_p} was dropped: with thinking on, Claude accepts top_p between "
            "0.95 and 1 only."
        )


def _response_format(response_format: object) -> dict[str, Any] | None:
    """``output_config.format`` for an OpenAI-style ``response_format``.

    LangChain agents bind one for native structured output.
    """
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else response_format.get("schema")
    if not isinstance(schema, Mapping):
        raise ValueError("response_format of type json_schema needs a schema.")
    return {"type": "json_schema", "schema": transform_schema(dict(schema))}


def _pick(kwargs: Mapping[str, Any], name: str, default: Any) -> Any:
    """The call argument ``name``, or ``default`` when it is missing or ``None``."""
    value = kwargs.get(name)
    return default if value is None else value


def _sampling_params(
    defaults: CallDefaults, stop: Sequence[str] | None, kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """``temperature``, ``top_p``, ``top_k`` and ``stop_sequences``, those that are set."""
    sampling: dict[str, Any] = {}
    for name in ("temperature", "top_p", "top_k"):
        value = _pick(kwargs, name, getattr(defaults, name))
        if value is not None:
            sampling[name] = value
    stop_sequences = list(
        stop if stop is not None else _pick(kwargs, "stop_sequences", defaults.stop) or []
    )
    if stop_sequences:
        sampling["stop_sequences"] = stop_sequences
    return sampling


def _set_output_config(
    params: dict[str, Any], defaults: CallDefaults, kwargs: Mapping[str, Any]
) -> None:
    """Put ``output_config`` (the call's, else ``model_kwargs``'s) with format and effort."""
    output_config = dict(kwargs.get("output_config") or params.pop("output_config", None) or {})
    output_format = _response_format(kwargs.get("response_format"))
    if output_format is not None:
        output_config["format"] = output_format
    effort = _pick(kwargs, "effort", defaults.effort)
    if effort is not None:
        output_config["effort"] = effort
    if output_config:
        params["output_config"] = output_config


def _tool_params(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``tools`` and ``tool_choice`` (a choice only with tools, or when it is ``none``)."""
    tool_params: dict[str, Any] = {}
    tools = kwargs.get("tools")
    if tools:
        tool_params["tools"] = [convert_to_anthropic_tool(tool) for tool in tools]
    choice = tool_choice_param(
        kwargs.get("tool_choice"), parallel_tool_calls=kwargs.get("parallel_tool_calls")
    )
    if choice is not None and (tools or choice.get("type") == "none"):
        tool_params["tool_choice"] = choice
    return tool_params


def prepare_call(
    defaults: CallDefaults,
    messages: Sequence[BaseMessage],
    stop: Sequence[str] | None,
    kwargs: Mapping[str, Any],
) -> PreparedCall:
    """Merge the model's settings with one call's arguments into a :class:`PreparedCall`.

    Call arguments win over the model's. ``tools`` and ``tool_choice`` are usually bound by
    ``bind_tools``; ``cache_control`` marks the last block of the conversation; any keyword
    argument this function does not know is sent as a body field (``metadata``,
    ``service_tier``, ``context_management``...).
    """
    model = str(kwargs.get("model") or defaults.model)
    info = resolve_model(model)
    params: dict[str, Any] = {"model": model, **defaults.model_kwargs}
    params["max_tokens"] = (
        _pick(kwargs, "max_tokens", defaults.max_tokens) or info.max_output_tokens
    )
    params.update(_sampling_params(defaults, stop, kwargs))
    thinking = _pick(kwargs, "thinking", defaults.thinking)
    if thinking is not None:
        params["thinking"] = dict(thinking)
    _set_output_config(params, defaults, kwargs)
    params.update(_tool_params(kwargs))
    params.update({k: v for k, v in kwargs.items() if k not in _HANDLED and v is not None})
    if _thinking_on(params.get("thinking")):
        # Called from here: its warnings' stacklevel points at prepare_call's caller's caller.
        _drop_thinking_conflicts(params)

    prompt = to_prompt(messages, keep_thinking=_thinking_on(params.get("thinking")))
    cache_control = kwargs.get("cache_control")
    if isinstance(cache_control, Mapping):
        prompt.mark_last_block(cache_control)
    betas = (*defaults.betas, *(kwargs.get("betas") or ()))
    return PreparedCall(
        model=model,
        info=info,
        prompt=prompt,
        params=params,
        betas=tuple(betas),
        timeout=_pick(kwargs, "timeout", defaults.timeout),
        stream_usage=bool(_pick(kwargs, "stream_usage", defaults.stream_usage)),
    )
