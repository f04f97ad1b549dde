"""When to try again, where, and after how long: the retry policy and circuit breakers.

One call walks its endpoint plan (see :func:`~claude_vertex.endpoints.endpoint_plan`): on a
retryable failure (429, 529, 503 and other 5xx, 408, connection errors) it moves to the next
endpoint, after an exponential backoff with full jitter, or the server's ``retry-after``;
all within one overall deadline. Endpoints that keep failing are skipped for a cooldown by a
circuit breaker that every client in the process shares, then probed again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["BREAKERS", "CircuitBreakers", "RetryPolicy"]

#: HTTP statuses worth another attempt (elsewhere or later). Other 4xx never are.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts one call makes and how long it waits between them.

    Attributes:
        max_attempts: attempts in all, across endpoints (``max_retries + 1``).
        base_delay: the first backoff ceiling, in seconds; it doubles per attempt.
        max_delay: the largest backoff ceiling, and the most a ``retry-after`` is honoured.
        deadline: seconds from the call's start that bound all of it: the token, every
            attempt and backoff, and the reading of the answer (see
            :mod:`claude_vertex.deadlines`).
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    deadline: float = 600.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(attempt, 30)))
        return self.rng.uniform(0.0, ceiling)  # full jitter

    def endpoint_for(
        self, plan: Sequence[str], attempt: int, breakers: CircuitBreakers, key: tuple[str, ...]
    ) -> str:
        """The endpoint of ``attempt``: the plan in order, skipping open circuits.

        When every circuit of the plan is open the next endpoint in turn is used anyway:
        a call never fails only because of breakers.
        """
        now = time.monotonic()
        for offset in range(len(plan)):
            region = plan[(attempt + offset) % len(plan)]
            if breakers.allows((*key, region), now):
                return region
        return plan[attempt % len(plan)]


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreakers:
    """Per-endpoint circuit breakers: ``threshold`` failures in a row open a circuit.

    An open circuit is skipped for ``cooldown`` seconds; then one call probes it (half-open):
    success closes it, failure opens it again, and a probe without a verdict (cancelled, or a
    non-retryable answer) is released so the next call probes. Thread-safe; shared by every
    client through :data:`BREAKERS`.
    """

    def __init__(self, threshold: int = 3, cooldown: float = 30.0) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._circuits: dict[tuple[str, ...], _Circuit] = {}

    def allows(self, key: tuple[str, ...], now: float | None = None) -> bool:
        """Whether a call may go to the endpoint ``key`` now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is None or circuit.opened_at is None:
                return True
            if now - circuit.opened_at < self.cooldown or circuit.probing:
                return False
            circuit.probing = True  # half-open: this caller probes
            return True

    def is_open(self, key: tuple[str, ...]) -> bool:
        """Whether the endpoint ``key`` is being skipped."""
        with self._lock:
            circuit = self._circuits.get(key)
            return circuit is not None and circuit.opened_at is not None

    def success(self, key: tuple[str, ...]) -> None:
        """Record a success: the circuit closes."""
        with self._lock:
            self._circuits.pop(key, None)

    def failure(self, key: tuple[str, ...], now: float | None = None) -> None:
        """Record a retryable failure; the threshold-th in a row opens the circuit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            circuit = self._circuits.setdefault(key, _Circuit())
            circuit.failures += 1
            circuit.probing = False
            if circuit.failures >= self.threshold or circuit.opened_at is not None:
                circuit.opened_at = now

    def release(self, key: tuple[str, ...]) -> None:
        """End an attempt on ``key`` that gave no verdict, so the next call may probe.

        Every attempt ends with this, whatever happened: a probe that was cancelled, or that
        ended in an answer saying nothing about the endpoint's health (a 400, 403, a token
        that could not be had), must not leave the circuit half-open for good. After
        :meth:`success` or :meth:`failure` it changes nothing.
        """
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is not None:
                circuit.probing = False

    def reset(self) -> None:
        """Close every circuit (for tests)."""
        with self._lock:
            self._circuits.clear()


#: The breakers every client in the process shares.
BREAKERS = CircuitBreakers()
