"""Claude's rules for one call, kept once for every front end.

:func:`apply_call_policy` takes Messages API parameters (``model`` included) and returns the
parameters to send: defaults filled in from the model table, settings the model would refuse
either adapted (with one :class:`CallPolicyWarning`) or refused before anything is sent (a
typed error that says what to send instead). Which model does what comes from the table's
flags (:class:`~claude_vertex.models.ModelInfo`), never from model names. The rules, and why
each adapts or refuses, are written down in docs/call-policy.md.

:func:`merge_params` layers a model object's settings under a call's arguments, and
:func:`tool_choice_param` and :func:`strict_tool` normalise tool settings, so every adapter
builds its parameters the same way.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from anthropic import transform_schema

from .errors import MessageValidationError, ParameterError
from .models import ModelInfo, resolve_model

__all__ = [
    "CACHE_TTLS",
    "SAMPLING_PARAMS",
    "CallPolicyWarning",
    "ModelDeprecationWarning",
    "apply_call_policy",
    "forget_warnings",
    "json_schema_format",
    "merge_params",
    "strict_tool",
    "thinking_on",
    "tool_choice_param",
]

#: The sampling parameters, which some models take only at their defaults.
SAMPLING_PARAMS = ("temperature", "top_p", "top_k")
#: Values of ``cache_control.ttl`` Vertex offers (Google's Claude prompt-caching page).
CACHE_TTLS = ("5m", "1h")
#: The smallest ``thinking.budget_tokens`` the Messages API takes.
MIN_THINKING_BUDGET = 1024
_THINKING_TYPES = ("enabled", "adaptive", "disabled")
_THINKING_KEYS = {
    "enabled": frozenset({"type", "budget_tokens", "display"}),
    "adaptive": frozenset({"type", "display"}),
    "disabled": frozenset({"type"}),
}
_DISPLAYS = ("summarized", "omitted")
#: Modules whose frames a warning skips, so it points at the caller's own line: this
#: package, its adapters, and the frameworks and libraries that call them.
_OWN_MODULES = (
    "claude_vertex",
    "langchain",
    "langgraph",
    "llama_index",
    "pydantic",
    "asyncio",
    "concurrent",
    "threading",
)


class CallPolicyWarning(UserWarning):
    """A parameter was changed or left out because the model refuses it as given.

    Each such adaptation warns once per process for a model and a parameter.
    """


class ModelDeprecationWarning(DeprecationWarning):
    """The model is deprecated or retired on Vertex AI; the warning names its successor."""


_warned: set[tuple[str, ...]] = set()
_warned_lock = threading.Lock()


def forget_warnings() -> None:
    """Warn again about adaptations already warned about (for tests)."""
    with _warned_lock:
        _warned.clear()


def _caller_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside this package and its adapters."""
    frame = sys._getframe(2)
    level = 2
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith(_OWN_MODULES):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _warn_once(key: tuple[str, ...], message: str, category: type[Warning]) -> None:
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, category, stacklevel=_caller_stacklevel())


# --------------------------------------------------------------------------- building params


def merge_params(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Messages API parameters from layers, each overriding the ones before it.

    A ``None`` value means "not set" and overrides nothing. ``output_config`` objects merge
    key by key; ``betas`` lists add up in order, without repeats; a top-level ``effort``
    becomes ``output_config.effort``.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is None:
                continue
            if key == "effort":
                merged["output_config"] = {**merged.get("output_config", {}), "effort": value}
            elif key == "output_config" and isinstance(value, Mapping):
                merged["output_config"] = {**merged.get("output_config", {}), **value}
            elif key == "betas":
                names = [value] if isinstance(value, str) else list(value)
                merged["betas"] = list(dict.fromkeys([*merged.get("betas", ()), *names]))
            else:
                merged[key] = value
    return merged


def thinking_on(thinking: object) -> bool:
    """Whether a ``thinking`` parameter turns thinking on (enabled or adaptive)."""
    return isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")


def tool_choice_param(choice: object, *, parallel: bool | None = None) -> dict[str, Any] | None:
    """The Messages API ``tool_choice`` for the forms frameworks use.

    ``None``/``False`` (no choice), ``"auto"``, ``"any"`` (also ``"required"`` or ``True``),
    ``"none"``, a tool name, a Messages API object, or OpenAI's
    ``{"type": "function", "function": {"name": ...}}``. ``parallel=False`` adds
    ``disable_parallel_tool_use`` (to ``auto`` when there is no choice).

    Raises:
        ParameterError: a value of none of those forms.
    """
    param: dict[str, Any] | None
    if choice is None or choice is False:
        param = None
    elif choice is True or choice in ("any", "required"):
        param = {"type": "any"}
    elif choice in ("auto", "none"):
        param = {"type": choice}
    elif isinstance(choice, str) and choice:
        param = {"type": "tool", "name": choice}
    elif isinstance(choice, Mapping) and choice.get("type") == "function":
        param = {"type": "tool", "name": choice["function"]["name"]}
    elif isinstance(choice, Mapping):
        param = dict(choice)
    else:
        raise ParameterError(
            f"Unrecognised tool_choice {choice!r}: use 'auto', 'any', 'none', a tool name, "
            "or a dict such as {'type': 'tool', 'name': 'get_weather'}."
        )
    if parallel is False and (param is None or param["type"] != "none"):
        param = {**(param or {"type": "auto"}), "disable_parallel_tool_use": True}
    return param


def strict_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """``tool`` with strict tool use on: its input schema rewritten to what strict mode takes."""
    strict = dict(tool)
    if "input_schema" in strict:
        strict["input_schema"] = transform_schema(dict(strict["input_schema"]))
    strict["strict"] = True
    return strict


def json_schema_format(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``output_config.format`` asking for JSON that follows ``schema`` (structured outputs).

    The schema is rewritten to the subset structured outputs accept.
    """
    return {"type": "json_schema", "schema": transform_schema(dict(schema))}


# --------------------------------------------------------------------------- the policy


def apply_call_policy(
    params: Mapping[str, Any], *, counting: bool = False, info: ModelInfo | None = None
) -> dict[str, Any]:
    """The parameters to send for ``params``, with Claude's rules applied.

    Adapted, with a :class:`CallPolicyWarning` (once per model and parameter):

    * ``temperature``/``top_p``/``top_k`` on a model that takes only their defaults: not sent;
    * with thinking on, what thinking rules out: ``temperature`` other than 1, ``top_k``,
      ``top_p`` below 0.95 (not sent), forced tool use (``tool_choice`` becomes ``auto``);
    * budgeted thinking on a model that only thinks adaptively: adaptive thinking;
    * ``thinking.display`` on a model that does not take it: left out.

    Filled in: ``max_tokens`` (the model's output limit). A ``tool_choice`` without
    ``tools`` (other than ``none``) is left out, and a final assistant turn (a prefill)
    loses its trailing whitespace. A deprecated or retired model warns once with a
    :class:`ModelDeprecationWarning`. ``counting`` (a count-tokens call) skips the rules of
    the answer (``max_tokens``, prefill).

    ``params`` is not changed. Applying the policy to its own result changes nothing.

    Raises:
        ParameterError: a thinking setting, effort level or cache ``ttl`` the model refuses
            whatever is done with it (the message says what to send).
        MessageValidationError: a prefill on a model that refuses prefills.
    """
    model = str(params.get("model") or "")
    info = info or resolve_model(model)
    if info.known and info.lifecycle != "active":
        _warn_lifecycle(info)
    sent = dict(params)
    if not counting and sent.get("max_tokens") is None:
        sent["max_tokens"] = info.max_output_tokens
    thinking = _checked_thinking(sent, info, counting=counting)
    if not info.sampling:
        _drop_sampling(sent, info)
    if thinking_on(thinking):
        _drop_thinking_conflicts(sent, info)
    _check_effort(sent.get("output_config"), info)
    _fit_tool_choice(sent)
    _check_cache_ttls(sent)
    if not counting:
        _fit_prefill(sent, info)
    return sent


def _warn_lifecycle(info: ModelInfo) -> None:
    if info.lifecycle == "retired":
        state = "was retired: Vertex AI no longer serves it and answers 404"
    else:
        when = f" (retirement: {info.retirement})" if info.retirement else ""
        state = f"is deprecated on Vertex AI{when}"
    move = f"; move to {info.successor!r}" if info.successor else ""
    _warn_once(
        ("lifecycle", info.vertex_id),
        f"{info.vertex_id} {state}{move}.",
        ModelDeprecationWarning,
    )


def _adapted(info: ModelInfo, name: str, message: str) -> None:
    _warn_once(("adapted", info.vertex_id, name), message, CallPolicyWarning)


def _drop_sampling(sent: dict[str, Any], info: ModelInfo) -> None:
    """Leave out sampling parameters the model takes only at their defaults."""
    for name in SAMPLING_PARAMS:
        if name not in sent:
            continue
        value = sent.pop(name)
        default = name != "top_k" and value in (1, 1.0)
        if value is not None and not default:
            _adapted(
                info,
                name,
                f"{name}={value!r} was not sent: {info.vertex_id} accepts no {name} other "
                "than its default (its answers are steered by effort and the prompt instead).",
            )


def _drop_thinking_conflicts(sent: dict[str, Any], info: ModelInfo) -> None:
    """Leave out what Claude refuses while it thinks."""
    choice = sent.get("tool_choice")
    if isinstance(choice, Mapping) and choice.get("type") in ("any", "tool"):
        relaxed = {k: v for k, v in choice.items() if k != "name"} | {"type": "auto"}
        sent["tool_choice"] = relaxed
        _adapted(
            info,
            "tool_choice",
            f"tool_choice {dict(choice)!r} was sent as 'auto': Claude cannot be forced to "
            "use a tool while thinking is on, so the answer may hold no tool call.",
        )
    temperature = sent.get("temperature")
    if temperature is not None and temperature not in (1, 1.0):
        del sent["temperature"]
        _adapted(
            info,
            "temperature",
            f"temperature={temperature!r} was not sent: with thinking on, Claude takes only "
            "temperature 1.",
        )
    if sent.get("top_k") is not None:
        _adapted(
            info,
            "top_k",
            f"top_k={sent.pop('top_k')!r} was not sent: Claude takes no top_k while thinking.",
        )
    top_p = sent.get("top_p")
    if top_p is not None and not 0.95 <= top_p <= 1:
        del sent["top_p"]
        _adapted(
            info,
            "top_p",
            f"top_p={top_p!r} was not sent: with thinking on, Claude takes top_p between 0.95 "
            "and 1 only.",
        )


def _checked_thinking(
    sent: dict[str, Any], info: ModelInfo, *, counting: bool
) -> Mapping[str, Any] | None:
    """``sent["thinking"]`` checked against the model, adapted where it can be."""
    thinking = sent.get("thinking")
    if thinking is None:
        return None
    if not isinstance(thinking, Mapping):
        raise ParameterError(
            f"thinking must be a dict such as {{'type': 'adaptive'}}; got {thinking!r}."
        )
    kind = thinking.get("type")
    if not info.known and kind not in _THINKING_TYPES:
        return thinking  # a mode newer than this table: the service decides
    if kind not in _THINKING_TYPES:
        raise ParameterError(
            f"thinking['type'] must be one of {', '.join(map(repr, _THINKING_TYPES))}; got "
            f"{kind!r}. Example: thinking={{'type': 'adaptive'}}."
        )
    extra = sorted(set(thinking) - _THINKING_KEYS[kind])
    if extra:
        raise ParameterError(f"thinking of type {kind!r} takes no {', '.join(extra)}.")
    if kind == "disabled":
        return thinking
    adapted = _fit_thinking_mode(dict(thinking), info)
    _check_display(adapted, info)
    if adapted["type"] == "enabled":
        _check_budget(adapted, sent.get("max_tokens"), counting=counting)
    sent["thinking"] = adapted
    return adapted


def _fit_thinking_mode(thinking: dict[str, Any], info: ModelInfo) -> dict[str, Any]:
    """Budgeted thinking on an adaptive-only model becomes adaptive; refuse what cannot be."""
    kind = thinking["type"]
    if not info.known or (info.thinking if kind == "enabled" else info.adaptive_thinking):
        return thinking
    if kind == "enabled" and info.adaptive_thinking:
        _adapted(
            info,
            "thinking",
            f"thinking {thinking!r} was sent as {{'type': 'adaptive'}}: {info.vertex_id} thinks "
            "adaptively only (no budget_tokens); steer how much with effort "
            "(output_config.effort).",
        )
        thinking.pop("budget_tokens", None)
        thinking["type"] = "adaptive"
        return thinking
    if kind == "adaptive" and info.thinking:
        raise ParameterError(
            f"{info.vertex_id} does not offer adaptive thinking; use "
            "thinking={'type': 'enabled', 'budget_tokens': N} instead."
        )
    raise ParameterError(
        f"{info.vertex_id} does not offer thinking; leave thinking unset or choose a model "
        "that thinks (claude_vertex.all_models() lists them)."
    )


def _check_display(thinking: dict[str, Any], info: ModelInfo) -> None:
    display = thinking.get("display")
    if display is None:
        return
    if display not in _DISPLAYS:
        raise ParameterError(
            f"thinking['display'] must be one of {', '.join(map(repr, _DISPLAYS))}; got "
            f"{display!r}."
        )
    if info.known and not info.thinking_display:
        del thinking["display"]
        _adapted(
            info,
            "thinking.display",
            f"thinking['display']={display!r} was not sent: {info.vertex_id} does not take "
            "it (it returns its thinking as it always does).",
        )


def _check_budget(thinking: Mapping[str, Any], max_tokens: object, *, counting: bool) -> None:
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < MIN_THINKING_BUDGET:
        raise ParameterError(
            f"thinking['budget_tokens'] must be an integer of at least "
            f"{MIN_THINKING_BUDGET:,}; got {budget!r}."
        )
    if not counting and isinstance(max_tokens, int) and budget >= max_tokens:
        raise ParameterError(
            f"max_tokens ({max_tokens:,}) must be greater than thinking['budget_tokens'] "
            f"({budget:,}): the budget is part of the output."
        )


def _check_effort(output_config: object, info: ModelInfo) -> None:
    if not isinstance(output_config, Mapping) or not info.known:
        return
    effort = output_config.get("effort")
    if effort is None or effort in info.efforts:
        return
    if not info.efforts:
        raise ParameterError(
            f"{info.vertex_id} does not take an effort setting; leave effort unset."
        )
    raise ParameterError(
        f"effort {effort!r} is not one {info.vertex_id} takes; use one of "
        f"{', '.join(map(repr, info.efforts))}."
    )


def _fit_tool_choice(sent: dict[str, Any]) -> None:
    """A ``tool_choice`` other than ``none`` means nothing without tools: leave it out."""
    choice = sent.get("tool_choice")
    if choice is None:
        sent.pop("tool_choice", None)
    elif not sent.get("tools") and not (
        isinstance(choice, Mapping) and choice.get("type") == "none"
    ):
        del sent["tool_choice"]


def _cache_controls(sent: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """(place, cache_control) of every marked block, in the order Claude reads them."""
    for index, tool in enumerate(sent.get("tools") or ()):
        if isinstance(tool, Mapping) and "cache_control" in tool:
            yield f"tools[{index}]", tool["cache_control"]
    system = sent.get("system")
    if isinstance(system, Sequence) and not isinstance(system, str):
        for index, block in enumerate(system):
            if isinstance(block, Mapping) and "cache_control" in block:
                yield f"system[{index}]", block["cache_control"]
    for index, message in enumerate(sent.get("messages") or ()):
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str) or not isinstance(content, Sequence):
            continue
        for position, block in enumerate(content):
            if isinstance(block, Mapping) and "cache_control" in block:
                yield f"messages[{index}].content[{position}]", block["cache_control"]


def _check_cache_ttls(sent: Mapping[str, Any]) -> None:
    """Each ``cache_control.ttl`` one Vertex offers, longer ones before shorter ones."""
    seen_short = ""
    for place, control in _cache_controls(sent):
        ttl = control.get("ttl") if isinstance(control, Mapping) else None
        if ttl is None:
            seen_short = seen_short or place
            continue
        if ttl not in CACHE_TTLS:
            raise ParameterError(
                f"{place}: cache_control ttl {ttl!r} is not offered on Vertex AI; use "
                f"{' or '.join(map(repr, CACHE_TTLS))} (or leave it unset for 5 minutes)."
            )
        if ttl == "1h" and seen_short:
            raise ParameterError(
                f"{place}: a 1-hour cache_control comes after the 5-minute one at "
                f"{seen_short}; Claude needs longer ttls first (tools, then system, then "
                "messages)."
            )
        if ttl == "5m":
            seen_short = seen_short or place


def _fit_prefill(sent: dict[str, Any], info: ModelInfo) -> None:
    """Refuse a prefill the model refuses; otherwise trim its trailing whitespace."""
    messages = sent.get("messages")
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        return
    last = messages[-1]
    if not isinstance(last, Mapping) or last.get("role") != "assistant":
        return
    if info.known and not info.prefill:
        raise MessageValidationError(
            f"messages[{len(messages) - 1}] (assistant) ends the conversation, a prefill, "
            f"which {info.vertex_id} refuses. End with a user message; to shape the answer "
            "use the system prompt, or structured outputs (output_config.format) for JSON."
        )
    trimmed = _trimmed_prefill(last)
    if trimmed is not last:
        sent["messages"] = [*messages[:-1], *([trimmed] if trimmed is not None else [])]


def _trimmed_prefill(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``message`` without trailing whitespace (None: nothing left); itself if unchanged."""
    content = message.get("content")
    if isinstance(content, str):
        text = content.rstrip()
        return message if text == content else ({**message, "content": text} if text else None)
    if not isinstance(content, Sequence) or not content:
        return message
    block = content[-1]
    if not isinstance(block, Mapping) or block.get("type") != "text":
        return message
    text = str(block.get("text", "")).rstrip()
    if text == block.get("text"):
        return message
    blocks = [*content[:-1], {**block, "text": text}] if text else list(content[:-1])
    return {**message, "content": blocks} if blocks else None
