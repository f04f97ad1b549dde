"""The one place that touches the anthropic SDK's internals.

The SDK's Vertex clients are subclassed to take tokens from the shared
:class:`~claude_vertex.credentials.TokenProvider` (instead of refreshing per client, without a
lock) and to apply this package's retry policy. Both hooks, ``_prepare_request`` and
``_should_retry``, are the SDK's documented extension points for subclasses; if a future SDK
renames them, this module is all that changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx2
from anthropic import AnthropicVertex, AsyncAnthropicVertex

from .settings import Settings

if TYPE_CHECKING:
    from anthropic._types import RequestOptions

__all__ = ["AsyncTransport", "SyncTransport", "request_options"]


def _should_retry(status_code: int) -> bool | None:
    """False for 4xx other than 408 and 429; None to let the SDK decide."""
    if 400 <= status_code < 500 and status_code not in (408, 429):
        return False
    return None


class SyncTransport(AnthropicVertex):
    """``AnthropicVertex`` with the shared token provider and this package's retry policy."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(region=settings.region, project_id=settings.project,
                         base_url=settings.base_url, **kwargs)
        self._tokens = settings.tokens

    def _prepare_request(self, request: httpx2.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self._tokens.token()}"
        quota = self._tokens.quota_project_id
        if quota:
            request.headers["x-goog-user-project"] = quota

    def _should_retry(self, response: httpx2.Response) -> bool:
        verdict = _should_retry(response.status_code)
        return super()._should_retry(response) if verdict is None else verdict


class AsyncTransport(AsyncAnthropicVertex):
    """``AsyncAnthropicVertex`` with the shared token provider and this package's retry policy."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(region=settings.region, project_id=settings.project,
                         base_url=settings.base_url, **kwargs)
        self._tokens = settings.tokens

    async def _prepare_request(self, request: httpx2.Request) -> None:
        request.headers["Authorization"] = f"Bearer {await self._tokens.atoken()}"
        quota = self._tokens.quota_project_id
        if quota:
            request.headers["x-goog-user-project"] = quota

    def _should_retry(self, response: httpx2.Response) -> bool:
        verdict = _should_retry(response.status_code)
        return super()._should_retry(response) if verdict is None else verdict



def request_options(headers: Mapping[str, str], timeout: float | None) -> RequestOptions:
    """Per-call options for the SDK's ``post``: extra headers and, if given, a timeout."""
    options: dict[str, Any] = {"headers": dict(headers)}
    if timeout is not None:
        options["timeout"] = timeout
    return cast("RequestOptions", options)
