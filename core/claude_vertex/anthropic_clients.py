"""Drop-in anthropic SDK clients whose every Messages call goes through the core.

Agent frameworks (pydantic-ai, Google ADK, instructor, the SDK's own tool runner) take an
anthropic client object. :class:`AnthropicVertex` and :class:`AsyncAnthropicVertex` subclass
the SDK's ``anthropic.AnthropicVertex`` and ``anthropic.AsyncAnthropicVertex``, so
``isinstance`` checks pass, but send through :class:`~claude_vertex.VertexClient`: the call
policy, validation, beta filtering, model aliases, failover along the endpoint plan, one
shared token, typed errors and safe streams all apply, and the body carries Vertex's
``anthropic_version``, never the SDK's first-party one.

Every SDK resource method ends in the client's ``post``: here, ``/v1/messages`` and
``/v1/messages/count_tokens`` (beta or not) go to the core, and anything else raises
:class:`~claude_vertex.UnsupportedOnVertexError` saying what Vertex offers instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NoReturn

import anthropic
import httpx2
from anthropic.types.beta import BetaMessage
from typing_extensions import Self

from ._sdk import (
    AsyncEventStream,
    EventStream,
    RequestOptions,
    SdkCall,
    asdk_call,
    idle_async_http_client,
    idle_http_client,
    sdk_call,
    stream_event_type,
)
from .api_version import VERTEX_ANTHROPIC_VERSION
from .client import DEFAULT_MAX_RETRIES, VertexBetaMessage, VertexClient, VertexMessage
from .credentials import CredentialsSource, Impersonation
from .errors import ConfigurationError, UnsupportedOnVertexError
from .settings import Settings, resolve_settings

__all__ = ["AnthropicVertex", "AsyncAnthropicVertex"]

Route = Literal["messages", "count_tokens"]

#: The SDK's first-party paths that Vertex serves, and the core route of each.
ROUTES: dict[str, Route] = {
    "/v1/messages": "messages",
    "/v1/messages?beta=true": "messages",
    "/v1/messages/count_tokens": "count_tokens",
    "/v1/messages/count_tokens?beta=true": "count_tokens",
}

#: Betas the SDK adds on its own for the first-party API (not the caller's): dropped quietly.
SDK_ONLY_BETAS = frozenset({"token-counting-2024-11-01"})

#: What Vertex offers instead of first-party routes it lacks, by path prefix.
ALTERNATIVES = (
    (
        "/v1/messages/batches",
        "Message Batches are not offered by Vertex AI's Claude endpoints; use Vertex AI batch "
        "prediction (BigQuery or Cloud Storage input) instead; batch support in claude_vertex "
        "is coming",
    ),
    (
        "/v1/files",
        "the Files API is not offered on Vertex AI; send images and documents inline as "
        "base64 (claude_vertex.resolve_media turns paths, URLs and gs:// URIs into content "
        "blocks)",
    ),
    (
        "/v1/models",
        "Vertex AI has no Models list; claude_vertex.all_models() lists the models "
        "claude_vertex knows, with the regions that serve them",
    ),
)


def unsupported(what: str) -> UnsupportedOnVertexError:
    """The error for an SDK call to ``what`` (a path, or a feature) that Vertex lacks."""
    instead = next(
        (text for prefix, text in ALTERNATIVES if prefix in what),
        "claude_vertex's drop-in client sends Messages calls only (messages.create, .stream, "
        ".parse, .count_tokens and their beta forms)",
    )
    return UnsupportedOnVertexError(f"{what} is not available through Vertex AI: {instead}.")


def _route(path: str, content: object, files: object) -> Route:
    route = ROUTES.get(path)
    if route is None:
        raise unsupported(f"POST {path}")
    if content is not None or files is not None:
        raise unsupported(f"POST {path} with a raw or multipart body")
    return route


def _betas(call: SdkCall) -> list[str]:
    """The ``anthropic-beta`` values of a call, less those the SDK adds on its own."""
    value = next((v for k, v in call.headers.items() if k.lower() == "anthropic-beta"), "")
    return [b for b in (p.strip() for p in value.split(",")) if b and b not in SDK_ONLY_BETAS]


def _answer_type(cast_to: Any) -> type[VertexMessage] | type[VertexBetaMessage]:
    """The core's answer type for the SDK's ``cast_to`` (``Message`` or ``BetaMessage``)."""
    beta = isinstance(cast_to, type) and issubclass(cast_to, BetaMessage)
    return VertexBetaMessage if beta else VertexMessage


def _checked(call: SdkCall) -> SdkCall:
    if call.raw:
        raise unsupported(
            "with_raw_response / with_streaming_response (the raw HTTP response; the message's "
            "request_id and vertex_region say which request answered and where)"
        )
    return call


def _parsed(call: SdkCall, answer: object) -> Any:
    return answer if call.post_parser is None else call.post_parser(answer)


@dataclass(frozen=True)
class ClientOptions:
    """Where and as whom a drop-in client calls: the arguments of ``resolve_settings``."""

    project: str | None = None
    region: str | None = None
    base_url: str | None = None
    credentials: CredentialsSource = None
    access_token: str | None = None
    impersonate: Impersonation | str | None = None
    quota_project_id: str | None = None
    anthropic_version: str = VERTEX_ANTHROPIC_VERSION
    fallback_regions: tuple[str, ...] | None = None
    data_residency: str | None = None

    def __repr__(self) -> str:
        return f"ClientOptions(project={self.project!r}, region={self.region!r})"

    def settings(self) -> Settings:
        """The resolved settings (see :func:`~claude_vertex.resolve_settings`)."""
        return resolve_settings(
            project=self.project,
            region=self.region,
            base_url=self.base_url,
            credentials=self.credentials,
            access_token=self.access_token,
            impersonate=self.impersonate,
            quota_project_id=self.quota_project_id,
            anthropic_version=self.anthropic_version,
            fallback_regions=self.fallback_regions,
            data_residency=self.data_residency,
        )


def _given(value: object) -> Any:
    """``value``, or ``None`` for the SDK's ``not_given``."""
    return None if isinstance(value, anthropic.NotGiven) else value


def _one_project(project: str | None, project_id: object) -> str | None:
    chosen = _given(project_id)
    if project is not None and chosen is not None and project != chosen:
        raise ConfigurationError(
            f"project={project!r} and project_id={chosen!r} differ; pass one of them."
        )
    return project if project is not None else chosen


def _no_http_client(http_client: object) -> None:
    if http_client is not None:
        raise ConfigurationError(
            "http_client cannot be honoured: claude_vertex keeps its own connection pools, "
            "one per Vertex endpoint, shared by every client with equal settings. Use "
            "base_url for a proxy or gateway, and timeout, max_retries and default_headers "
            "for the rest."
        )


def _headers(
    current: Mapping[str, str],
    default_headers: Mapping[str, str] | None,
    set_default_headers: Mapping[str, str] | None,
) -> dict[str, str]:
    if default_headers is not None and set_default_headers is not None:
        raise ValueError(
            "The `default_headers` and `set_default_headers` arguments are mutually exclusive"
        )
    if set_default_headers is not None:
        return dict(set_default_headers)
    return {**current, **(default_headers or {})}


@dataclass(frozen=True)
class _State:
    """What a drop-in client was made with, kept for ``copy()``."""

    options: ClientOptions
    settings: Settings
    timeout: float | httpx2.Timeout | None
    max_retries: int
    headers: dict[str, str]
    deadline: float | None

    def vertex(self) -> VertexClient:
        """The shared core client for this state (equal states share one)."""
        return VertexClient.shared(
            self.settings,
            timeout=self.timeout,
            max_retries=self.max_retries,
            default_headers=self.headers,
            deadline=self.deadline,
        )

    def copied(
        self,
        *,
        region: object,
        project_id: object,
        access_token: str | None,
        credentials: CredentialsSource,
        base_url: str | httpx2.URL | None,
        timeout: object,
        max_retries: object,
        headers: dict[str, str],
    ) -> _State:
        """This state with the overrides of a ``copy()`` call."""
        changes: dict[str, Any] = {
            "region": _given(region),
            "project": _given(project_id),
            "access_token": access_token,
            "credentials": credentials,
            "base_url": None if base_url is None else str(base_url),
        }
        options = replace(self.options, **{k: v for k, v in changes.items() if v is not None})
        settings = self.settings if options == self.options else options.settings()
        return _State(
            options,
            settings,
            self.timeout if isinstance(timeout, anthropic.NotGiven) else timeout,  # type: ignore[arg-type]
            self.max_retries if isinstance(max_retries, anthropic.NotGiven) else max_retries,  # type: ignore[arg-type]
            headers,
            self.deadline,
        )


def _new_state(
    *,
    project: str | None,
    project_id: object,
    region: object,
    base_url: str | httpx2.URL | None,
    credentials: CredentialsSource,
    access_token: str | None,
    impersonate: Impersonation | str | None,
    quota_project_id: str | None,
    anthropic_version: str,
    fallback_regions: Sequence[str] | None,
    data_residency: str | None,
    timeout: object,
    max_retries: int,
    default_headers: Mapping[str, str] | None,
    deadline: float | None,
    http_client: object,
) -> _State:
    """The state of a client made with these constructor arguments (settings resolved)."""
    _no_http_client(http_client)
    options = ClientOptions(
        project=_one_project(project, project_id),
        region=_given(region),
        base_url=None if base_url is None else str(base_url),
        credentials=credentials,
        access_token=access_token,
        impersonate=impersonate,
        quota_project_id=quota_project_id,
        anthropic_version=anthropic_version,
        fallback_regions=None if fallback_regions is None else tuple(fallback_regions),
        data_residency=data_residency,
    )
    return _State(
        options,
        options.settings(),
        _given(timeout),
        max_retries,
        dict(default_headers or {}),
        deadline,
    )


def _sdk_arguments(state: _State) -> dict[str, Any]:
    """The arguments of the SDK's constructor for a client in ``state``.

    No credentials: the core holds them, and the SDK's client never sends.
    """
    settings = state.settings
    return {
        "region": settings.region,
        "project_id": settings.project,
        "base_url": settings.base_url,
        "timeout": anthropic.not_given if state.timeout is None else state.timeout,
        "max_retries": state.max_retries,
        "default_headers": state.headers,
    }


class _DropIn:
    """What both drop-in clients add to the SDK's: the core client, and refusals."""

    _state: _State
    #: The core client every call goes through (shared by clients with equal settings).
    vertex: VertexClient

    def _use(self, state: _State) -> None:
        self._state = state
        self.vertex = state.vertex()

    def __repr__(self) -> str:
        return f"claude_vertex.{type(self).__name__}({self._state.settings!r})"

    @property
    def models(self) -> NoReturn:
        """Vertex AI has no Models list: raises :class:`UnsupportedOnVertexError`."""
        raise unsupported("/v1/models")

    @property
    def files(self) -> NoReturn:
        """Vertex AI has no Files API: raises :class:`UnsupportedOnVertexError`."""
        raise unsupported("/v1/files")

    def _copied(
        self,
        own_http_client: object,
        *,
        http_client: object,
        default_headers: Mapping[str, str] | None,
        set_default_headers: Mapping[str, str] | None,
        **changes: Any,
    ) -> _State:
        if http_client is not own_http_client:
            _no_http_client(http_client)
        headers = _headers(self._state.headers, default_headers, set_default_headers)
        return self._state.copied(headers=headers, **changes)


class AnthropicVertex(_DropIn, anthropic.AnthropicVertex):
    """``anthropic.AnthropicVertex`` whose Messages calls go through claude_vertex's core.

    Takes the SDK's arguments (``region``, ``project_id``, ``access_token``, ``credentials``,
    ``base_url``, ``timeout``, ``max_retries``, ``default_headers``) and the core's
    (``project``, ``fallback_regions``, ``data_residency``, ``impersonate``,
    ``quota_project_id``, ``anthropic_version``, ``deadline``); they resolve as in
    :func:`~claude_vertex.resolve_settings`. Without ``region`` (or ``CLOUD_ML_REGION``) each
    call goes to its model's default endpoint (``global`` where served) and fails over
    along the model's plan. ``http_client`` cannot be honoured (the core keeps its own
    pools) and raises :class:`~claude_vertex.ConfigurationError`.

    ``messages.create`` (streamed or not), ``messages.stream``, ``messages.parse``,
    ``messages.count_tokens``, their ``beta.messages`` forms and the SDK's
    ``beta.messages.tool_runner`` work as on the SDK's client; answers are
    :class:`~claude_vertex.VertexMessage` (``VertexBetaMessage`` for beta calls), which say
    where they were served (``vertex_region``). Message Batches, Files and Models raise
    :class:`~claude_vertex.UnsupportedOnVertexError`.
    """

    def __init__(
        self,
        *,
        region: str | anthropic.NotGiven | None = anthropic.not_given,
        project_id: str | anthropic.NotGiven | None = anthropic.not_given,
        access_token: str | None = None,
        credentials: CredentialsSource = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | anthropic.NotGiven | None = anthropic.not_given,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx2.Client | None = None,
        project: str | None = None,
        fallback_regions: Sequence[str] | None = None,
        data_residency: str | None = None,
        impersonate: Impersonation | str | None = None,
        quota_project_id: str | None = None,
        anthropic_version: str = VERTEX_ANTHROPIC_VERSION,
        deadline: float | None = None,
        _state: _State | None = None,
    ) -> None:
        state = _state or _new_state(
            project=project,
            project_id=project_id,
            region=region,
            base_url=base_url,
            credentials=credentials,
            access_token=access_token,
            impersonate=impersonate,
            quota_project_id=quota_project_id,
            anthropic_version=anthropic_version,
            fallback_regions=fallback_regions,
            data_residency=data_residency,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            deadline=deadline,
            http_client=http_client,
        )
        super().__init__(**_sdk_arguments(state), http_client=idle_http_client())
        self._use(state)

    def post(
        self,
        path: str,
        *,
        cast_to: Any,
        body: object | None = None,
        content: object | None = None,
        options: RequestOptions = {},  # noqa: B006 - the SDK's signature; never mutated
        files: object | None = None,
        stream: bool = False,
        stream_cls: type | None = None,
    ) -> Any:
        """Send a Messages call of the SDK's resources through the core (see the class)."""
        route = _route(path, content, files)
        call = _checked(sdk_call(self, path, body, options))
        vertex, betas = self.vertex, _betas(call)
        if route == "count_tokens":
            return vertex.count_tokens_as(cast_to, call.body, betas=betas, timeout=call.timeout)
        if stream:
            core = vertex.stream(
                call.body,
                betas=betas,
                timeout=call.timeout,
                event_type=stream_event_type(stream_cls),
            )
            return EventStream(core, core.response, core.close)
        answer = vertex.create_as(
            _answer_type(cast_to), call.body, betas=betas, timeout=call.timeout
        )
        return _parsed(call, answer)

    def request(self, cast_to: Any, options: Any, **_: Any) -> NoReturn:
        """Every other SDK call: raises :class:`UnsupportedOnVertexError`."""
        raise unsupported(f"{str(options.method).upper()} {options.url}")

    def copy(  # type: ignore[override]
        self,
        *,
        region: str | anthropic.NotGiven = anthropic.not_given,
        project_id: str | anthropic.NotGiven = anthropic.not_given,
        access_token: str | None = None,
        credentials: CredentialsSource = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | anthropic.NotGiven | None = anthropic.not_given,
        http_client: httpx2.Client | None = None,
        max_retries: int | anthropic.NotGiven = anthropic.not_given,
        default_headers: Mapping[str, str] | None = None,
        set_default_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A client with these options changed, sharing token and pools where settings agree.

        ``http_client`` may only be this client's own (as frameworks pass it back).
        """
        state = self._copied(
            self._client,
            http_client=http_client,
            default_headers=default_headers,
            set_default_headers=set_default_headers,
            region=region,
            project_id=project_id,
            access_token=access_token,
            credentials=credentials,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )
        return type(self)(_state=state)

    with_options = copy  # type: ignore[assignment]


class AsyncAnthropicVertex(_DropIn, anthropic.AsyncAnthropicVertex):
    """The async form of :class:`AnthropicVertex`: ``anthropic.AsyncAnthropicVertex`` on the core.

    What pydantic-ai's ``AnthropicProvider`` and Google ADK's ``Claude`` take.
    """

    def __init__(
        self,
        *,
        region: str | anthropic.NotGiven | None = anthropic.not_given,
        project_id: str | anthropic.NotGiven | None = anthropic.not_given,
        access_token: str | None = None,
        credentials: CredentialsSource = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | anthropic.NotGiven | None = anthropic.not_given,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        project: str | None = None,
        fallback_regions: Sequence[str] | None = None,
        data_residency: str | None = None,
        impersonate: Impersonation | str | None = None,
        quota_project_id: str | None = None,
        anthropic_version: str = VERTEX_ANTHROPIC_VERSION,
        deadline: float | None = None,
        _state: _State | None = None,
    ) -> None:
        state = _state or _new_state(
            project=project,
            project_id=project_id,
            region=region,
            base_url=base_url,
            credentials=credentials,
            access_token=access_token,
            impersonate=impersonate,
            quota_project_id=quota_project_id,
            anthropic_version=anthropic_version,
            fallback_regions=fallback_regions,
            data_residency=data_residency,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            deadline=deadline,
            http_client=http_client,
        )
        super().__init__(**_sdk_arguments(state), http_client=idle_async_http_client())
        self._use(state)

    async def post(
        self,
        path: str,
        *,
        cast_to: Any,
        body: object | None = None,
        content: object | None = None,
        files: object | None = None,
        options: RequestOptions = {},  # noqa: B006 - the SDK's signature; never mutated
        stream: bool = False,
        stream_cls: type | None = None,
    ) -> Any:
        """The async form of :meth:`AnthropicVertex.post`."""
        route = _route(path, content, files)
        call = _checked(await asdk_call(self, path, body, options))
        vertex, betas = self.vertex, _betas(call)
        if route == "count_tokens":
            return await vertex.acount_tokens_as(
                cast_to, call.body, betas=betas, timeout=call.timeout
            )
        if stream:
            core = await vertex.astream(
                call.body,
                betas=betas,
                timeout=call.timeout,
                event_type=stream_event_type(stream_cls),
            )
            return AsyncEventStream(core, core.response, core.close)
        answer = await vertex.acreate_as(
            _answer_type(cast_to), call.body, betas=betas, timeout=call.timeout
        )
        return _parsed(call, answer)

    async def request(self, cast_to: Any, options: Any, **_: Any) -> NoReturn:
        """Every other SDK call: raises :class:`UnsupportedOnVertexError`."""
        raise unsupported(f"{str(options.method).upper()} {options.url}")

    def copy(  # type: ignore[override]
        self,
        *,
        region: str | anthropic.NotGiven = anthropic.not_given,
        project_id: str | anthropic.NotGiven = anthropic.not_given,
        access_token: str | None = None,
        credentials: CredentialsSource = None,
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout | anthropic.NotGiven | None = anthropic.not_given,
        http_client: httpx2.AsyncClient | None = None,
        max_retries: int | anthropic.NotGiven = anthropic.not_given,
        default_headers: Mapping[str, str] | None = None,
        set_default_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """The async form of :meth:`AnthropicVertex.copy`."""
        state = self._copied(
            self._client,
            http_client=http_client,
            default_headers=default_headers,
            set_default_headers=set_default_headers,
            region=region,
            project_id=project_id,
            access_token=access_token,
            credentials=credentials,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )
        return type(self)(_state=state)

    with_options = copy  # type: ignore[assignment]
