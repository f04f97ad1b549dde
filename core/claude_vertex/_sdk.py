"""The one place that touches the anthropic SDK's internals.

The SDK's Vertex clients are subclassed to take tokens from the shared
:class:`~claude_vertex.credentials.TokenProvider` (instead of refreshing per client, without a
lock) and to apply this package's retry policy and call deadlines. The hooks,
``_prepare_options``, ``_prepare_request`` and ``_should_retry``, are the SDK's documented
extension points for subclasses; the httpx client is the SDK's own
(``SyncHttpxClientWrapper``, with its defaults), given a response hook and one TLS context
for the process. If a future SDK renames them, this module is all that changes.
"""

from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx2
from anthropic import AnthropicVertex, AsyncAnthropicVertex
from anthropic import __version__ as anthropic_version
from anthropic._base_client import AsyncHttpxClientWrapper, SyncHttpxClientWrapper
from anthropic._models import FinalRequestOptions

from ._version import __version__
from .credentials import TokenProvider
from .deadlines import current_deadline
from .settings import Settings

if TYPE_CHECKING:
    from anthropic._types import RequestOptions

__all__ = ["AsyncTransport", "SyncTransport", "redacted_headers", "request_options"]

log = logging.getLogger("claude_vertex")

#: Headers whose values are credentials.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-goog-api-key"})


def redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with every credential value replaced, for logs."""
    return {
        name: "[redacted]" if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }


#: The first-party routes the SDK's Vertex hook rewrites; requests built by
#: :func:`~claude_vertex.transform.build_request` never use them.
_FIRST_PARTY_PREFIX = "/v1/messages"


def _is_vertex_request(options: FinalRequestOptions) -> bool:
    """Whether ``options`` already is a Vertex request (its path, and its body's version)."""
    body = options.json_data
    return not options.url.startswith(_FIRST_PARTY_PREFIX) and (
        not isinstance(body, dict) or "anthropic_version" in body
    )


def _bound_response(response: httpx2.Response) -> None:
    """Response hook: the bytes of a response stop at the deadline of the call that asked."""
    deadline = current_deadline()
    if deadline is not None:
        deadline.bound(response)


async def _abound_response(response: httpx2.Response) -> None:
    """The async client's form of :func:`_bound_response`."""
    _bound_response(response)


def _token_wait() -> float | None:
    """How long the running call may wait for a token: what is left of its deadline."""
    deadline = current_deadline()
    return None if deadline is None else deadline.left()


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The TLS context of every connection pool of the process (httpx's default one).

    Each context holds the parsed CA bundle, most of a megabyte of native memory that the
    allocator seldom returns: one per pool made memory grow with every client ever made
    (one per static token, say), although the clients themselves were freed.
    """
    return httpx2.create_ssl_context()


class _VertexPolicy:
    """What both transports add to the SDK: shared tokens and the retry policy."""

    _tokens: TokenProvider

    @property
    def user_agent(self) -> str:
        return f"claude-vertex/{__version__} anthropic-python/{anthropic_version}"

    def _authorize(self, request: httpx2.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"
        quota = self._tokens.quota_project_id
        if quota:
            request.headers["x-goog-user-project"] = quota
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "claude_vertex: %s %s headers=%s",
                request.method,
                request.url,
                redacted_headers(request.headers),
            )

    def _should_retry(self, response: httpx2.Response) -> bool:
        # 4xx other than 408 and 429 are final; the SDK decides the rest (it also retries 409).
        code = response.status_code
        if 400 <= code < 500 and code not in (408, 429):
            return False
        return super()._should_retry(response)  # type: ignore[misc, no-any-return]


class SyncTransport(_VertexPolicy, AnthropicVertex):
    """``AnthropicVertex`` with the shared token provider and this package's retry policy."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(
            region=settings.region,
            project_id=settings.project,
            base_url=settings.base_url,
            http_client=SyncHttpxClientWrapper(
                base_url=settings.base_url,
                verify=tls_context(),
                event_hooks={"response": [_bound_response]},
            ),
            **kwargs,
        )
        self._tokens = settings.tokens

    def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        # The SDK's Vertex hook deep-copies every attempt's options, body included, so it can
        # rewrite first-party routes in place; a request of this package already has its
        # Vertex path and anthropic_version and is never mutated, so the copy (a tenth of a
        # millisecond for a small prompt, milliseconds for a long conversation) is skipped.
        if _is_vertex_request(options):
            return options
        return super()._prepare_options(options)

    def _prepare_request(self, request: httpx2.Request) -> None:
        self._authorize(request, self._tokens.token(timeout=_token_wait()))


class AsyncTransport(_VertexPolicy, AsyncAnthropicVertex):
    """``AsyncAnthropicVertex`` with the shared token provider and this package's retry policy."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(
            region=settings.region,
            project_id=settings.project,
            base_url=settings.base_url,
            http_client=AsyncHttpxClientWrapper(
                base_url=settings.base_url,
                verify=tls_context(),
                event_hooks={"response": [_abound_response]},
            ),
            **kwargs,
        )
        self._tokens = settings.tokens

    async def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        # See SyncTransport._prepare_options.
        if _is_vertex_request(options):
            return options
        return await super()._prepare_options(options)

    async def _prepare_request(self, request: httpx2.Request) -> None:
        self._authorize(request, await self._tokens.atoken(timeout=_token_wait()))


def request_options(headers: Mapping[str, str], timeout: float | httpx2.Timeout) -> RequestOptions:
    """Per-call options for the SDK's ``post``: extra headers and the timeout."""
    return cast("RequestOptions", {"headers": dict(headers), "timeout": timeout})
