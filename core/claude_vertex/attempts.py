"""One call's attempts along its endpoint plan: what each failure was, and what comes next.

:func:`classify` turns what an attempt raised into a typed error and says whether another
attempt may help. :class:`Attempts` runs a call's attempts, sync or async: each aimed at the
endpoint that the plan and the circuit breakers choose (see :mod:`claude_vertex.failover`
for the policy and the breakers); a 401 answered once with a fresh token; a retryable
failure by a backoff, or the server's ``retry-after``, and the next endpoint; all within the
call's deadline. Other failures raise at once, typed.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import anthropic
import httpx2

from .deadlines import Deadline, DeadlineExceeded, call_deadline
from .endpoints import count_tokens_region
from .errors import ClaudeVertexError, VertexAPIError, VertexConnectionError, error_from_response
from .failover import BREAKERS, RETRYABLE_STATUSES, RetryPolicy
from .models import resolve_model

if TYPE_CHECKING:
    from .settings import Settings
    from .transform import VertexRequest

__all__ = ["Attempts", "classify", "retry_after"]

log = logging.getLogger("claude_vertex")

_T = TypeVar("_T")


def retry_after(response: httpx2.Response | None) -> float | None:
    """Seconds a ``retry-after-ms`` or ``retry-after`` header asks to wait, if any."""
    if response is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = response.headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            pass
        if name == "retry-after":
            return _retry_after_date(value)
    return None


def _retry_after_date(value: str) -> float | None:
    """Seconds until the HTTP date ``value``; None when it is not one (``retry-after: soon``)."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class _Failure:
    """One failed attempt, classified."""

    error: Exception
    retryable: bool
    retry_after: float | None = None
    #: The rejected token, when the failure is a 401 (never in the repr: error trackers
    #: record the locals of a traceback's frames).
    token: str | None = field(default=None, repr=False)


def classify(exc: Exception, request: VertexRequest) -> _Failure:
    """Turn an exception of one attempt into a typed error, and say whether to go on.

    Raises:
        Exception: ``exc`` itself, when it is no failure of the transport or the answer
            (a bug, or an adapter's error), so the caller sees it unchanged.
    """
    if isinstance(exc, ClaudeVertexError) and not isinstance(exc, anthropic.APIStatusError):
        return _Failure(exc, bool(getattr(exc, "retryable", False)))
    if isinstance(exc, anthropic.APIStatusError):
        typed = (
            exc
            if isinstance(exc, VertexAPIError)
            else error_from_response(
                exc.response,
                exc.body,
                project=request.project,
                region=request.region,
                model=request.model,
            )
        )
        code = typed.status_code
        token = None
        if code == 401:
            auth = exc.response.request.headers.get("authorization", "")
            token = auth.partition(" ")[2] or None
        retryable = code in RETRYABLE_STATUSES or typed.retryable
        return _Failure(typed, retryable, retry_after(exc.response), token)
    if isinstance(exc, (anthropic.APIConnectionError, httpx2.HTTPError)):
        return _Failure(_connection_error(exc, request), True)
    raise exc


def _connection_error(
    exc: anthropic.APIConnectionError | httpx2.HTTPError, request: VertexRequest
) -> VertexConnectionError:
    """The typed error of an attempt that got no (whole) answer."""
    try:
        http_request = exc.request
    except (AttributeError, RuntimeError):  # httpx2 raises RuntimeError when it is unset
        http_request = None
    if not isinstance(http_request, httpx2.Request):
        http_request = httpx2.Request("POST", request.path)
    passed = exc if isinstance(exc, DeadlineExceeded) else exc.__cause__
    if isinstance(passed, DeadlineExceeded):
        message = (
            f"The call to Vertex AI region {request.region!r} passed its deadline of "
            f"{passed.deadline.seconds:g} s while the answer was still arriving (the endpoint "
            "may be sending only pings, or bytes very slowly). Give the call a longer "
            "deadline, or ask for a shorter answer (max_tokens)."
        )
    else:
        timed_out = isinstance(exc, (anthropic.APITimeoutError, httpx2.TimeoutException))
        message = (
            f"The connection to Vertex AI region {request.region!r} "
            f"{'timed out' if timed_out else 'failed'} ({type(exc).__name__}). Check the "
            "network; the call is retried at the next endpoint of its plan while attempts "
            "and its deadline allow."
        )
    error = VertexConnectionError(message, request=http_request, region=request.region)
    error.__cause__ = exc
    return error


class Attempts:
    """The attempts of one client's calls: their plan, waits, breakers and token refresh.

    Args:
        settings: the client's settings (its endpoints, project and token provider).
        policy: how many attempts a call makes, their backoff, and the call's deadline.
    """

    def __init__(self, settings: Settings, policy: RetryPolicy) -> None:
        self.settings = settings
        self.policy = policy

    def plan_for(self, request: VertexRequest) -> tuple[str, ...]:
        """The endpoints ``request`` may try, in order."""
        if request.route == "count_tokens":
            # Counted where the call itself would go first, or the nearest place that counts.
            primary = self.settings.plan_for(request.model)[0]
            return (count_tokens_region(primary, resolve_model(request.model)),)
        return self.settings.plan_for(request.model)

    def breaker_key(self, target: VertexRequest) -> tuple[str, ...]:
        """The key of ``target``'s circuit breaker (shared by every client in the process)."""
        return (
            self.settings.base_url if self.settings.base_url_fixed else "",
            self.settings.project,
            target.model,
            target.region,
        )

    def _attempts(self, request: VertexRequest) -> Iterator[tuple[int, VertexRequest]]:
        """Yield (attempt, request aimed at its endpoint) until the caller stops."""
        plan = self.plan_for(request)
        key = self.breaker_key(request)[:-1]
        attempt = 0
        while True:
            yield attempt, request.at(self.policy.endpoint_for(plan, attempt, BREAKERS, key))
            attempt += 1

    def _after_failure(
        self,
        failure: _Failure,
        target: VertexRequest,
        attempt: int,
        deadline: Deadline,
        refreshed: bool,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up (raise)."""
        if failure.token is not None and not refreshed and self.settings.tokens.refreshable:
            self.settings.tokens.invalidate(failure.token)
            return 0.0
        if not failure.retryable:
            return None
        BREAKERS.failure(self.breaker_key(target))
        if attempt + 1 >= self.policy.max_attempts:
            return None
        delay = self.policy.delay(attempt, failure.retry_after)
        if delay >= deadline.left():
            return None
        log.debug(
            "claude_vertex: %s at %s failed (%s); next attempt in %.2fs",
            target.route,
            target.region,
            type(failure.error).__name__,
            delay,
        )
        return delay

    def _answered(self, target: VertexRequest, attempt: int) -> None:
        BREAKERS.success(self.breaker_key(target))
        log.debug(
            "claude_vertex: %s answered by region %s after %d attempt(s)",
            target.route,
            target.region,
            attempt + 1,
        )

    def call(
        self,
        request: VertexRequest,
        send: Callable[[VertexRequest], _T],
        in_use: AbstractContextManager[None],
    ) -> _T:
        """``send``'s result for the first attempt that succeeds; else the last typed error.

        ``in_use`` is held for the whole call (the client's count of calls in progress).
        """
        refreshed = False
        with call_deadline(self.policy.deadline) as deadline, in_use:
            for attempt, target in self._attempts(request):
                try:
                    result = send(target)
                except Exception as exc:
                    failure = classify(exc, target)
                    wait = self._after_failure(failure, target, attempt, deadline, refreshed)
                    if wait is None and failure.error is exc:
                        raise
                    if wait is None:
                        raise failure.error from exc
                    refreshed = refreshed or failure.token is not None
                else:
                    self._answered(target, attempt)
                    return result
                finally:  # cancelled, untyped or non-retryable: a probe must not stay half-open
                    BREAKERS.release(self.breaker_key(target))
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def acall(
        self,
        request: VertexRequest,
        send: Callable[[VertexRequest], Awaitable[_T]],
        in_use: AbstractContextManager[None],
    ) -> _T:
        """The async form of :meth:`call`."""
        refreshed = False
        with call_deadline(self.policy.deadline) as deadline, in_use:
            for attempt, target in self._attempts(request):
                try:
                    result = await send(target)
                except Exception as exc:
                    failure = classify(exc, target)
                    wait = self._after_failure(failure, target, attempt, deadline, refreshed)
                    if wait is None and failure.error is exc:
                        raise
                    if wait is None:
                        raise failure.error from exc
                    refreshed = refreshed or failure.token is not None
                else:
                    self._answered(target, attempt)
                    return result
                finally:  # cancelled, untyped or non-retryable: a probe must not stay half-open
                    BREAKERS.release(self.breaker_key(target))
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover
