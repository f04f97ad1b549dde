"""The emulator's prompt cache, and the input side of a call's usage that it decides.

Like Vertex's prompt cache (5 minutes, or 1 hour with ``"ttl": "1h"``), :class:`PromptCache`
remembers the prompt prefixes that end at a ``cache_control`` breakpoint;
:meth:`PromptCache.usage` splits a request's input tokens into uncached, cache-written and
cache-read ones, and the writes by lifetime (:class:`Usage`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from .jsontypes import JSON
from .tokens import prompt_segments

__all__ = ["CACHE_TTL_SECONDS", "ONE_HOUR_TTL_SECONDS", "PromptCache", "Usage"]

#: Lifetime of a prompt-cache entry by default (``"ttl": "5m"``).
CACHE_TTL_SECONDS = 300.0
#: Lifetime of an entry written with ``"ttl": "1h"`` (Google's Claude prompt-caching page).
ONE_HOUR_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class Usage:
    """The input side of a call's usage."""

    input_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    #: The cache writes by lifetime (``cache_creation`` of the usage); they sum to
    #: ``cache_creation_input_tokens``.
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0
    #: Whether the usage shows the breakdown (``cache_creation``), zeros included.
    breakdown_shown: bool = False


class PromptCache:
    """The emulator's prompt cache: which prompt prefixes it has seen in the last 5 minutes.

    A prefix ends at a block with ``cache_control``. The first request with a prefix writes it
    (``cache_creation_input_tokens``); later requests whose prefix matches read it
    (``cache_read_input_tokens``). Thread-safe.
    """

    def __init__(self, ttl: float = CACHE_TTL_SECONDS, *, always_break_down: bool = False) -> None:
        self._ttl = ttl
        #: Show ``cache_creation`` on every call (zeros without writes), not only on writes:
        #: whether Vertex does is unconfirmed (its ``vertex_event`` usage always has it).
        self.always_break_down = always_break_down
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every cached prefix."""
        with self._lock:
            self._expiry.clear()

    def usage(self, model: str, body: JSON) -> Usage:
        """The input usage of ``body`` sent to ``model``, recording its cache breakpoints.

        The tokens a breakpoint adds to the prefix before it are written with its lifetime.
        """
        segments = prompt_segments(body)
        total = max(1, sum(segment.tokens for segment in segments))
        digest = hashlib.sha256(model.encode())
        prefixes: list[tuple[str, int, str]] = []  # (key, tokens up to it, its ttl)
        running = 0
        for segment in segments:
            digest.update(segment.key.encode())
            running += segment.tokens
            if segment.breakpoint:
                prefixes.append((digest.hexdigest(), running, segment.ttl))
        if not prefixes:
            return Usage(total, breakdown_shown=self.always_break_down)
        now = time.monotonic()
        with self._lock:
            for key in [k for k, expiry in self._expiry.items() if expiry <= now]:
                del self._expiry[key]
            read = max((tokens for key, tokens, _ in prefixes if key in self._expiry), default=0)
            for key, _, ttl in prefixes:
                lifetime = ONE_HOUR_TTL_SECONDS if ttl == "1h" else self._ttl
                self._expiry[key] = max(self._expiry.get(key, 0.0), now + lifetime)
        written = {"5m": 0, "1h": 0}
        start = 0
        for _, end, ttl in prefixes:
            written[ttl] += max(0, end - max(start, read))
            start = end
        cached = prefixes[-1][1]
        return Usage(
            max(0, total - cached),
            cached - read,
            read,
            written["5m"],
            written["1h"],
            breakdown_shown=self.always_break_down or cached > read,
        )
