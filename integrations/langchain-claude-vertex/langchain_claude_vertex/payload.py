"""One call's Messages API parameters, from the model's settings and the call's arguments.

LangChain's arguments are mapped to Messages API parameters here; Claude's rules (defaults,
thinking, sampling, effort, prefill...) are the core's call policy
(:func:`claude_vertex.apply_call_policy`), applied before any media is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage

from claude_vertex import (
    CallPolicyWarning,
    ModelInfo,
    apply_call_policy,
    merge_params,
    resolve_model,
)
from claude_vertex.call_policy import json_schema_format, thinking_on, tool_choice_param

from .messages import Prompt, to_prompt
from .tools import convert_to_anthropic_tool

__all__ = [
    "CallDefaults",
    "PreparedCall",
    "ThinkingConflictWarning",
    "check_defaults",
    "prepare_call",
]

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


#: The core's :class:`~claude_vertex.CallPolicyWarning`, under its earlier name.
ThinkingConflictWarning = CallPolicyWarning


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
    #: Everything but ``system`` and ``messages`` (``betas`` included: the core sorts them).
    params: dict[str, Any]
    timeout: float | None
    stream_usage: bool

    @property
    def thinking_on(self) -> bool:
        """Whether the call asks for thinking."""
        return thinking_on(self.params.get("thinking"))

    @property
    def plain_text_stream(self) -> bool:
        """Whether a stream can only be text, so chunks may carry plain strings."""
        return not (self.params.get("tools") or self.thinking_on or self.prompt.may_cite())

    def params_with(self, prompt_params: Mapping[str, Any]) -> dict[str, Any]:
        """The complete Messages API parameters, given the resolved ``system``/``messages``."""
        return {**self.params, **prompt_params}


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
    return json_schema_format(schema)


def _pick(kwargs: Mapping[str, Any], name: str, default: Any) -> Any:
    """The call argument ``name``, or ``default`` when it is missing or ``None``."""
    value = kwargs.get(name)
    return default if value is None else value


def _output_format(kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    """``output_config`` with the format of an OpenAI-style ``response_format``, if any."""
    output_format = _response_format(kwargs.get("response_format"))
    return None if output_format is None else {"output_config": {"format": output_format}}


def _tool_params(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``tools`` and ``tool_choice`` as bound (the policy drops a choice that has no tools)."""
    tools = kwargs.get("tools")
    return {
        "tools": [convert_to_anthropic_tool(tool) for tool in tools] if tools else None,
        "tool_choice": tool_choice_param(
            kwargs.get("tool_choice"), parallel=kwargs.get("parallel_tool_calls")
        ),
    }


def _defaults_layer(defaults: CallDefaults) -> dict[str, Any]:
    return {
        "max_tokens": defaults.max_tokens,
        "temperature": defaults.temperature,
        "top_p": defaults.top_p,
        "top_k": defaults.top_k,
        "stop_sequences": list(defaults.stop) if defaults.stop else None,
        "thinking": dict(defaults.thinking) if defaults.thinking is not None else None,
        "effort": defaults.effort,
        "betas": list(defaults.betas) or None,
    }


def check_defaults(defaults: CallDefaults) -> None:
    """Apply the call policy to the model's own settings, so they warn or raise at once.

    Raises:
        ParameterError: a setting the model refuses (a thinking budget, an effort level...).
    """
    apply_call_policy(
        merge_params({"model": defaults.model, **defaults.model_kwargs}, _defaults_layer(defaults))
    )


def _call_layer(stop: Sequence[str] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    layer = {k: v for k, v in kwargs.items() if k not in _HANDLED}
    for name in ("max_tokens", "temperature", "top_p", "top_k", "thinking", "effort", "betas"):
        layer[name] = kwargs.get(name)
    stop_sequences = stop if stop is not None else kwargs.get("stop_sequences")
    layer["stop_sequences"] = list(stop_sequences) if stop_sequences else None
    layer["output_config"] = kwargs.get("output_config")
    return layer


def prepare_call(
    defaults: CallDefaults,
    messages: Sequence[BaseMessage],
    stop: Sequence[str] | None,
    kwargs: Mapping[str, Any],
) -> PreparedCall:
    """Merge the model's settings with one call's arguments into a :class:`PreparedCall`.

    Call arguments win over the model's, which win over ``model_kwargs``. ``tools`` and
    ``tool_choice`` are usually bound by ``bind_tools``; ``cache_control`` marks the last
    block of the conversation; any keyword argument this function does not know is sent as
    a body field (``metadata``, ``service_tier``, ``context_management``...). The core's
    call policy applies before any media is read, so a call the model would refuse raises
    here, before any I/O.
    """
    model = str(kwargs.get("model") or defaults.model)
    params = merge_params(
        {"model": model, **defaults.model_kwargs},
        _defaults_layer(defaults),
        _call_layer(stop, kwargs),
        _output_format(kwargs),
        _tool_params(kwargs),
    )
    prompt = to_prompt(messages, keep_thinking=thinking_on(params.get("thinking")))
    cache_control = kwargs.get("cache_control")
    if isinstance(cache_control, Mapping):
        prompt.mark_last_block(cache_control)
    checked = apply_call_policy({**params, "messages": prompt.messages, "system": prompt.system})
    for name in ("messages", "system"):
        checked.pop(name, None)
    return PreparedCall(
        model=model,
        info=resolve_model(model),
        prompt=prompt,
        params=checked,
        timeout=_pick(kwargs, "timeout", defaults.timeout),
        stream_usage=bool(_pick(kwargs, "stream_usage", defaults.stream_usage)),
    )
