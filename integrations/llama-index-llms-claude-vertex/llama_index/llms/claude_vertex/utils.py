"""Small shared pieces of the LlamaIndex adapter: JSON aliases, block keys, option checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from claude_vertex import ModelInfo

__all__ = [
    "EFFORTS",
    "JSON",
    "REDACTED_THINKING_KEY",
    "SIGNATURE_KEY",
    "check_sampling",
    "check_thinking",
    "thinking_budget",
    "thinking_is_on",
]

JSON = dict[str, Any]

#: Where a ``ThinkingBlock`` keeps the signature Claude gave its thinking (replayed as is).
SIGNATURE_KEY = "signature"
#: Where a ``ThinkingBlock`` keeps the encrypted ``data`` of a ``redacted_thinking`` block.
REDACTED_THINKING_KEY = "redacted_thinking"

#: The values of ``output_config.effort``.
EFFORTS = ("low", "medium", "high", "max")
_THINKING_TYPES = ("enabled", "adaptive", "disabled")
_MIN_THINKING_BUDGET = 1024


def thinking_is_on(thinking: Mapping[str, Any] | None) -> bool:
    """Whether a ``thinking`` parameter turns thinking on (enabled or adaptive)."""
    return thinking is not None and thinking.get("type") in ("enabled", "adaptive")


def thinking_budget(thinking: Mapping[str, Any] | None) -> int:
    """The ``budget_tokens`` of enabled thinking, else 0."""
    if thinking and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        return budget if isinstance(budget, int) else 0
    return 0


def check_thinking(thinking: Mapping[str, Any], info: ModelInfo, max_tokens: int) -> None:
    """Refuse, before any request, a ``thinking`` setting Vertex would refuse.

    Raises:
        ValueError: an unknown type, a budget under 1,024 or not below ``max_tokens``, or a
            mode the model (when the model table knows it) does not offer.
    """
    kind = thinking.get("type")
    if kind not in _THINKING_TYPES:
        raise ValueError(
            f"thinking['type'] must be one of {', '.join(_THINKING_TYPES)}; got {kind!r}. "
            "Example: thinking={'type': 'enabled', 'budget_tokens': 2048}."
        )
    extra = set(thinking) - ({"type", "budget_tokens"} if kind == "enabled" else {"type"})
    if extra:
        raise ValueError(f"thinking of type {kind!r} takes no {', '.join(sorted(extra))}.")
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < _MIN_THINKING_BUDGET:
            raise ValueError(
                f"thinking['budget_tokens'] must be an integer of at least "
                f"{_MIN_THINKING_BUDGET:,}; got {budget!r}."
            )
        if budget >= max_tokens:
            raise ValueError(
                f"max_tokens ({max_tokens:,}) must be greater than thinking['budget_tokens'] "
                f"({budget:,}): the budget is part of the output."
            )
        if info.known and not info.thinking:
            raise ValueError(f"{info.vertex_id} does not offer extended thinking.")
    if kind == "adaptive" and info.known and not info.adaptive_thinking:
        raise ValueError(
            f"{info.vertex_id} does not offer adaptive thinking; use "
            "thinking={'type': 'enabled', 'budget_tokens': N} instead."
        )


def check_sampling(
    *, thinking_on: bool, temperature: float | None, top_p: float | None, top_k: int | None
) -> None:
    """Refuse sampling settings that Claude does not accept while it thinks.

    Raises:
        ValueError: ``temperature`` other than 1, any ``top_k``, or ``top_p`` below 0.95
            together with thinking.
    """
    if not thinking_on:
        return
    if temperature is not None and temperature != 1:
        raise ValueError("With thinking on, temperature must be left unset (or 1).")
    if top_k is not None:
        raise ValueError("With thinking on, top_k must be left unset.")
    if top_p is not None and not 0.95 <= top_p <= 1:
        raise ValueError("With thinking on, top_p must be left unset or between 0.95 and 1.")
