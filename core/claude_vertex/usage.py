"""The token counts of one answer, read once from the SDK's usage (streamed or not).

:func:`usage_counts` is the one reading of a ``Usage`` (or a stream's ``MessageDeltaUsage``,
or the same as JSON) both adapters report from: absent or malformed counts read as 0, the
breakdowns (cache writes by lifetime, reasoning tokens) as ``None`` when Vertex sent none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["UsageCounts", "usage_counts"]


@dataclass(frozen=True)
class UsageCounts:
    """The token counts of an answer.

    Attributes:
        input_tokens: input not read from or written to the prompt cache.
        output_tokens: all output, thinking included.
        cache_read_input_tokens: input read from the prompt cache.
        cache_creation_input_tokens: input written to the prompt cache.
        ephemeral_5m_input_tokens: of the cache writes, those kept 5 minutes (``None``: no
            breakdown was sent).
        ephemeral_1h_input_tokens: of the cache writes, those kept 1 hour (``None``: no
            breakdown was sent).
        thinking_tokens: of the output, the reasoning tokens (``None``: not reported).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    ephemeral_5m_input_tokens: int | None = None
    ephemeral_1h_input_tokens: int | None = None
    thinking_tokens: int | None = None


def _field(source: object, name: str) -> object:
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def _count(source: object, name: str) -> int | None:
    """A token count, or ``None`` where there is none or it is not a whole number."""
    value = _field(source, name)
    return value if type(value) is int else None


def usage_counts(usage: object) -> UsageCounts:
    """The token counts of an SDK ``Usage`` (or ``MessageDeltaUsage``, or either as JSON).

    Counts that are absent, ``None`` or not integers read as 0 (the breakdowns as ``None``),
    so a malformed answer's usage never fails the answer.
    """
    cache_creation = _field(usage, "cache_creation")
    output_details = _field(usage, "output_tokens_details")
    return UsageCounts(
        input_tokens=_count(usage, "input_tokens") or 0,
        output_tokens=_count(usage, "output_tokens") or 0,
        cache_read_input_tokens=_count(usage, "cache_read_input_tokens") or 0,
        cache_creation_input_tokens=_count(usage, "cache_creation_input_tokens") or 0,
        ephemeral_5m_input_tokens=_count(cache_creation, "ephemeral_5m_input_tokens"),
        ephemeral_1h_input_tokens=_count(cache_creation, "ephemeral_1h_input_tokens"),
        thinking_tokens=_count(output_details, "thinking_tokens"),
    )
