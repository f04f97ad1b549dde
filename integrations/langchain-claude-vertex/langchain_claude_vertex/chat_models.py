"""``ChatClaudeVertex``: Claude on Google Vertex AI as a LangChain chat model.

The class holds the model's settings and wires LangChain's entry points to the core:
settings from :func:`claude_vertex.resolve_settings`, the shared
:meth:`claude_vertex.VertexClient.shared` client per settings, and the conversions in
:mod:`.payload`, :mod:`.messages`, :mod:`.responses`, :mod:`.streaming` and :mod:`.tools`.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.utils import get_pydantic_field_names
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

from claude_vertex import (
    Effort,
    Settings,
    VertexClient,
    VertexMessage,
    local_media_dirs,
    resolve_model,
    resolve_settings,
    tool_choice_param,
)
from claude_vertex.client import read_answer

from .batch import batch_chat_result
from .batch_callbacks import AsyncBatchCallbacks, BatchCallbacks
from .messages import aresolve_prompt, resolve_prompt
from .payload import CallDefaults, PreparedCall, check_defaults, prepare_call
from .responses import chat_result
from .streaming import StreamConverter
from .tools import (
    StructuredOutputMethod,
    ToolChoice,
    ToolLike,
    convert_to_anthropic_tool,
    structured_output,
)

if TYPE_CHECKING:
    from claude_vertex.batch import BatchItemError
    from claude_vertex.batch_run import BatchOutputs


__all__ = ["ACCESS_TOKEN_SECRET", "CREDENTIALS_SECRET", "ChatClaudeVertex"]

#: Seconds between two reads of a running batch job, by default (the core's).
BATCH_POLL_INTERVAL = 30.0

#: Secret ids used in place of secrets when the model is serialised (``dumpd``/``dumps``);
#: pass values for them to ``langchain_core.load.load(..., secrets_map=...)``.
ACCESS_TOKEN_SECRET = "CLAUDE_VERTEX_ACCESS_TOKEN"  # noqa: S105 - a name, not a secret
CREDENTIALS_SECRET = "GOOGLE_APPLICATION_CREDENTIALS"  # noqa: S105 - a name

#: Keyword arguments accepted for compatibility and ignored: Vertex authenticates with OAuth.
_IGNORED_KWARGS = ("api_key", "anthropic_api_key")


class _SettingsCache:
    """Resolved settings by configuration; shared, not copied, when the model is copied."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[Any, ...], Settings] = {}

    def get(self, key: tuple[Any, ...], resolve: Callable[[], Settings]) -> Settings:
        with self._lock:
            found = self._by_key.get(key)
        if found is None:
            found = resolve()
            with self._lock:
                found = self._by_key.setdefault(key, found)
        return found

    def put(self, key: tuple[Any, ...], settings: Settings) -> None:
        with self._lock:
            self._by_key.setdefault(key, settings)

    def __deepcopy__(self, memo: dict[int, Any]) -> _SettingsCache:
        return self


class ChatClaudeVertex(BaseChatModel):
    """Claude on Google Vertex AI, as a LangChain chat model.

    Setup: ``pip install langchain-claude-vertex``, then ``gcloud auth
    application-default login`` and ``GOOGLE_CLOUD_PROJECT=<project>`` (or pass ``project``
    and ``credentials``).

    Instantiate::

        from langchain_claude_vertex import ChatClaudeVertex

        llm = ChatClaudeVertex(model="claude-sonnet-4-5", max_tokens=1024)
        llm.invoke("Hey Claude!")

    Settings are resolved when the model is built (project: argument,
    ``ANTHROPIC_VERTEX_PROJECT_ID``, ``GOOGLE_CLOUD_PROJECT``, the credentials, ADC; region:
    argument, ``CLOUD_ML_REGION``, the model's default endpoint), so configuration errors
    surface here, before any request. ``project`` and ``region`` then hold what was resolved.
    Every model object with the same settings shares one connection pool and one token.

    Supports ``invoke``/``stream`` and their async and batch forms, ``bind_tools``,
    ``with_structured_output``, images and PDFs (base64, URLs, ``gs://``), extended and
    adaptive thinking, prompt caching, citations, and ``get_num_tokens_from_messages``.
    :meth:`batch_job` runs many inputs as one Vertex batch prediction job.
    """

    model: str = Field(alias="model_name")
    """Model id in any form: ``claude-sonnet-4-5``, ``claude-sonnet-4-5@20250929``..."""
    project: str | None = Field(default=None, alias="project_id")
    """Google Cloud project; resolved from the environment or credentials if not given."""
    region: str | None = Field(default=None, alias="location")
    """Vertex endpoint: ``global``, ``us``, ``eu`` or a region such as ``us-east5``."""
    base_url: str | None = None
    """A fixed ``https://host/v1`` (a proxy, a private endpoint or the emulator)."""
    credentials: Any = Field(default=None, exclude=True, repr=False)
    """A key-file path, a key-file dict, or a ``google.auth`` credentials object; by
    default Application Default Credentials. Never serialised or shown."""
    access_token: SecretStr | None = Field(default=None, exclude=True, repr=False)
    """A static OAuth access token (never refreshed); overrides ``credentials``."""
    impersonate: str | None = None
    """A service-account email to act as, with the caller's credentials."""
    quota_project_id: str | None = None
    """The project billed for quota (``x-goog-user-project``)."""
    max_tokens: int | None = None
    """Most tokens to generate; by default the model's output limit."""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences (also per call, as ``stop=``)."""
    thinking: dict[str, Any] | None = None
    """``{"type": "enabled", "budget_tokens": N}`` or ``{"type": "adaptive"}``."""
    effort: Effort | None = None
    """``output_config.effort`` on models that support it."""
    betas: list[str] | None = None
    """``anthropic-beta`` values; those Vertex refuses are dropped with a warning."""
    timeout: float | None = Field(default=None, alias="default_request_timeout")
    """Seconds to wait for an answer (the core's default if ``None``)."""
    max_retries: int = 2
    """Retries of a failed call (quota, overload, server errors), with backoff."""
    fallback_regions: list[str] | None = None
    """Endpoints to fail over to, in order, instead of the model's default plan."""
    data_residency: Literal["us", "eu"] | None = None
    """Keep every attempt (and count-tokens) inside this geography."""
    deadline: float | None = None
    """Seconds from a call's start that bound all of it, streams included (the core's default)."""
    streaming: bool = False
    """Stream even from ``invoke`` (the answer is gathered from the stream)."""
    stream_usage: bool = True
    """Put ``usage_metadata`` on the last chunk of a stream."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """More Messages API body fields for every call (``metadata``, ``service_tier``...)."""
    default_headers: dict[str, str] | None = None
    """HTTP headers sent with every call."""
    local_media_dirs: list[str] | None = None
    """Directories whose files ``file://`` URLs in message content may send (with their
    subdirectories; regular files only). By default none: content often carries URLs from
    untrusted users, so every ``file://`` URL is refused."""

    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=()
    )

    _settings_cache: _SettingsCache = PrivateAttr(default_factory=_SettingsCache)
    #: Whether ``region`` was given (else a per-call model override picks its own default).
    _region_given: bool = PrivateAttr(default=False)

    # -- construction ----------------------------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _gather_model_kwargs(cls, values: Any) -> Any:
        """Drop the ignored ``api_key``; move unknown arguments into ``model_kwargs``."""
        if not isinstance(values, dict):
            return values
        values = {k: v for k, v in values.items() if k not in _IGNORED_KWARGS}
        known = get_pydantic_field_names(cls)
        extra = {k: values.pop(k) for k in list(values) if k not in known}
        if extra:
            warnings.warn(
                f"{sorted(extra)} are not ChatClaudeVertex parameters; they are sent "
                "as Messages API body fields (model_kwargs).",
                stacklevel=4,
            )
            values["model_kwargs"] = {**extra, **(values.get("model_kwargs") or {})}
        return values

    @field_validator("credentials", mode="before")
    @classmethod
    def _hide_credentials(cls, value: Any) -> Any:
        """A credentials string (a key-file path) is held as a ``SecretStr``."""
        return SecretStr(value) if isinstance(value, str) else value

    @field_validator("local_media_dirs", mode="before")
    @classmethod
    def _directory_names(cls, value: Any) -> Any:
        """Directories may be given as paths; they are held (and serialised) as strings."""
        if isinstance(value, (list, tuple)):
            return [os.fspath(v) if isinstance(v, os.PathLike) else v for v in value]
        return value

    def __init__(self, **kwargs: Any) -> None:
        """Build the model and resolve its settings (see the class documentation).

        Raises:
            ConfigurationError: a malformed region, project or base URL, no project, or a
                ``local_media_dirs`` entry that is not a directory.
            CredentialsError: credentials that cannot be loaded.
        """
        super().__init__(**kwargs)
        local_media_dirs(self.local_media_dirs)  # raises now if one is not a directory
        # Resolved here rather than in a validator so the core's typed errors surface as
        # they are, not wrapped in a pydantic ValidationError.
        check_defaults(self._defaults())
        self._region_given = self.region is not None
        settings = self._settings()
        self.project, self.region = settings.project, settings.region
        self._settings_cache.put(self._settings_key(), settings)  # under the resolved project

    # -- serialisation and tracing ---------------------------------------------------------
    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Whether the model serialises with ``langchain_core.load.dumpd`` (it does)."""
        return True

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Constructor arguments replaced by secret ids when serialised."""
        return {"access_token": ACCESS_TOKEN_SECRET, "credentials": CREDENTIALS_SECRET}

    @property
    def _llm_type(self) -> str:
        return "claude-vertex-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "project": self.project,
            "region": self.region,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": self.stop,
            "thinking": self.thinking,
            "effort": self.effort,
            "betas": self.betas,
            "streaming": self.streaming,
            "model_kwargs": self.model_kwargs,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = str(kwargs.get("model") or self.model)
        params = LangSmithParams(
            ls_provider="google_vertexai", ls_model_name=model, ls_model_type="chat"
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        params["ls_max_tokens"] = (
            kwargs.get("max_tokens") or self.max_tokens or resolve_model(model).max_output_tokens
        )
        stop_sequences = stop or kwargs.get("stop") or self.stop
        if stop_sequences:
            params["ls_stop"] = list(stop_sequences)
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        info = resolve_model(self.model)
        return ModelProfile(
            max_input_tokens=info.context_window,
            max_output_tokens=info.max_output_tokens,
            text_inputs=True,
            image_inputs=True,
            image_url_inputs=True,
            pdf_inputs=True,
            audio_inputs=False,
            video_inputs=False,
            image_tool_message=True,
            pdf_tool_message=True,
            text_outputs=True,
            image_outputs=False,
            audio_outputs=False,
            reasoning_output=info.thinking or info.adaptive_thinking,
            tool_calling=True,
            tool_choice=True,
            tool_call_streaming=True,
            structured_output=info.structured_outputs,
            mid_conversation_system_messages=False,
        )

    # -- where calls go --------------------------------------------------------------------
    def _settings(self) -> Settings:
        """The settings of this configuration (resolved once; copies share them).

        A call to another model than ``model`` uses them too: the core sends it to that
        model's own default endpoint unless a region was given.
        """
        region = self.region if self._region_given else None
        token = self.access_token.get_secret_value() if self.access_token else None
        credentials = self.credentials
        if isinstance(credentials, SecretStr):
            credentials = credentials.get_secret_value()
        return self._settings_cache.get(
            self._settings_key(),
            lambda: resolve_settings(
                model=self.model,
                project=self.project,
                region=region,
                base_url=self.base_url,
                credentials=credentials,
                access_token=token,
                impersonate=self.impersonate,
                quota_project_id=self.quota_project_id,
                fallback_regions=self.fallback_regions,
                data_residency=self.data_residency,
            ),
        )

    def _settings_key(self) -> tuple[Any, ...]:
        """What settings depend on: the model only when no region was given."""
        region = self.region if self._region_given else None
        token = self.access_token.get_secret_value() if self.access_token else None
        return (
            None if region else resolve_model(self.model).vertex_id,
            self.project,
            region,
            self.base_url,
            id(self.credentials),
            token,
            self.impersonate,
            self.quota_project_id,
            tuple(self.fallback_regions or ()) or None,
            self.data_residency,
        )

    def _params(self, call: PreparedCall, settings: Settings) -> dict[str, Any]:
        """The call's Messages API parameters, its media read (see :func:`resolve_prompt`)."""
        local_dirs = self.local_media_dirs or ()
        return call.params_with(resolve_prompt(call.prompt, settings.tokens, local_dirs))

    async def _aparams(self, call: PreparedCall, settings: Settings) -> dict[str, Any]:
        """The async form of :meth:`_params` (media read concurrently)."""
        local_dirs = self.local_media_dirs or ()
        return call.params_with(await aresolve_prompt(call.prompt, settings.tokens, local_dirs))

    def _client(self, settings: Settings) -> VertexClient:
        return VertexClient.shared(
            settings,
            timeout=self.timeout,
            max_retries=self.max_retries,
            default_headers=self.default_headers,
            deadline=self.deadline,
        )

    def _defaults(self) -> CallDefaults:
        return CallDefaults(
            model=self.model,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            stop=self.stop,
            thinking=self.thinking,
            effort=self.effort,
            betas=tuple(self.betas or ()),
            timeout=self.timeout,
            stream_usage=self.stream_usage,
            model_kwargs=self.model_kwargs,
        )

    def _prepare(
        self, messages: Sequence[BaseMessage], stop: Sequence[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[PreparedCall, Settings]:
        return prepare_call(self._defaults(), messages, stop, kwargs), self._settings()

    # -- calls -----------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call, settings = self._prepare(messages, stop, kwargs)
        params = self._params(call, settings)
        message = self._client(settings).create(params, timeout=call.timeout)
        return self._result(call, message)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call, settings = self._prepare(messages, stop, kwargs)
        params = await self._aparams(call, settings)
        message = await self._client(settings).acreate(params, timeout=call.timeout)
        return self._result(call, message)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        call, settings = self._prepare(messages, stop, kwargs)
        params = self._params(call, settings)
        with self._client(settings).stream(params, timeout=call.timeout) as events:
            converter = self._converter(call, events.region, events.request_id)
            for chunk in events.converted(converter.convert):
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        call, settings = self._prepare(messages, stop, kwargs)
        params = await self._aparams(call, settings)
        stream = await self._client(settings).astream(params, timeout=call.timeout)
        async with stream as events:
            converter = self._converter(call, events.region, events.request_id)
            async for chunk in events.converted(converter.convert):
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    @staticmethod
    def _result(call: PreparedCall, message: VertexMessage) -> ChatResult:
        return read_answer(
            lambda answer: chat_result(
                answer,
                model_name=call.info.vertex_id,
                region=answer.vertex_region,
                request_id=answer.request_id,
            ),
            message,
        )

    @staticmethod
    def _converter(
        call: PreparedCall, region: str | None, request_id: str | None
    ) -> StreamConverter:
        return StreamConverter(
            model_name=call.info.vertex_id,
            plain_text=call.plain_text_stream,
            stream_usage=call.stream_usage,
            region=region,
            request_id=request_id,
        )

    # -- batch prediction jobs -------------------------------------------------------------
    def batch_job(
        self,
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        staging: str,
        return_exceptions: bool = False,
        region: str | None = None,
        display_name: str | None = None,
        poll_interval: float = BATCH_POLL_INTERVAL,
        timeout: float | None = None,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> BatchOutputs[AIMessage | BatchItemError]:
        """Answer ``inputs`` as one Vertex batch prediction job, at batch prices.

        Takes what :meth:`batch` takes (strings, message lists, prompt values, and a config
        or one per input) and returns what it returns, one ``AIMessage`` per input in input
        order, but runs them on Google's side as one job instead of one call each: for
        thousands of inputs, without quota errors, at half the price, in minutes to hours.
        The job's input and outputs are staged under ``staging`` in Cloud Storage (the
        ``claude-vertex[batch]`` extra).

        Each input is a run for callbacks, as with :meth:`batch`: ``on_chat_model_start``
        when the job is submitted, then ``on_llm_end`` (or ``on_llm_error`` with the input's
        ``BatchItemError``) when the results are read; see :mod:`.batch_callbacks`.

        Args:
            inputs: the inputs, as for :meth:`invoke`.
            config: a ``RunnableConfig`` for every input or a list of one per input
                (``callbacks``, ``tags``, ``metadata``, ``run_name``, ``run_id``).
            staging: ``gs://bucket/prefix`` for the job's files, in the job's region.
            return_exceptions: put an item's error in its place (a
                :class:`~claude_vertex.batch.BatchItemError`) instead of raising the first.
            region: where the job runs (default: the model's region, which must then be one
                region; ``global``, ``us`` and ``eu`` run no batch jobs).
            display_name: the job's name in the console.
            poll_interval: seconds between two reads of the job while it runs.
            timeout: seconds to wait at most (the job goes on after a timeout).
            stop: stop sequences, as for :meth:`invoke`.
            kwargs: call arguments, as for :meth:`invoke` (``tools``, ``thinking``...).

        Returns:
            A :class:`~claude_vertex.batch_run.BatchOutputs` list, with the ``job`` and its
            ``totals`` (``cost_usd``: the job's price).

        Raises:
            ConfigurationError: the region, model or staging URI cannot run a job (before any
                I/O); ``BatchInputError``: an input Vertex would refuse (before any upload).
            BatchItemError: an input has no answer, unless ``return_exceptions``.
            JobTimeoutError: the job did not end within ``timeout``.
            ValueError: a list of configs whose length is not the inputs'.
        """
        from claude_vertex.batch_run import BatchOutputs, item_outcomes, outputs_of, run_batch

        if not inputs:
            return BatchOutputs()
        messages = self._batch_messages(inputs)
        runs = BatchCallbacks.start(self, messages, config, stop=stop, kwargs=kwargs)
        with runs.ending_on_error():
            model, settings, calls = self._batch_calls(messages, stop, kwargs)
            run = run_batch(
                settings,
                [self._params(call, settings) for call in calls],
                model=model,
                staging=staging,
                region=region,
                display_name=display_name,
                poll_interval=poll_interval,
                timeout=timeout,
            )
            outcomes = item_outcomes(run, lambda result: batch_chat_result(result, run.job))
        answers = runs.end(outcomes)
        return outputs_of(run, answers, return_exceptions=return_exceptions)

    async def abatch_job(
        self,
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        staging: str,
        return_exceptions: bool = False,
        region: str | None = None,
        display_name: str | None = None,
        poll_interval: float = BATCH_POLL_INTERVAL,
        timeout: float | None = None,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> BatchOutputs[AIMessage | BatchItemError]:
        """The async form of :meth:`batch_job` (the event loop is never blocked)."""
        from claude_vertex.batch_run import BatchOutputs, arun_batch, item_outcomes, outputs_of

        if not inputs:
            return BatchOutputs()
        messages = self._batch_messages(inputs)
        runs = await AsyncBatchCallbacks.start(self, messages, config, stop=stop, kwargs=kwargs)
        async with runs.ending_on_error():
            model, settings, calls = self._batch_calls(messages, stop, kwargs)
            run = await arun_batch(
                settings,
                [await self._aparams(call, settings) for call in calls],
                model=model,
                staging=staging,
                region=region,
                display_name=display_name,
                poll_interval=poll_interval,
                timeout=timeout,
            )
            outcomes = item_outcomes(run, lambda result: batch_chat_result(result, run.job))
        answers = await runs.end(outcomes)
        return outputs_of(run, answers, return_exceptions=return_exceptions)

    def _batch_messages(self, inputs: Sequence[LanguageModelInput]) -> list[list[BaseMessage]]:
        """Each input's messages, as :meth:`invoke` reads an input."""
        return [self._convert_input(item).to_messages() for item in inputs]

    def _batch_calls(
        self,
        messages: Sequence[list[BaseMessage]],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
    ) -> tuple[str, Settings, list[PreparedCall]]:
        """The job's model, the settings and each input's prepared call (policy applied)."""
        calls = [prepare_call(self._defaults(), each, stop, kwargs) for each in messages]
        return calls[0].model, self._settings(), calls

    # -- tokens ----------------------------------------------------------------------------
    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """The input tokens ``messages`` (and ``tools``) use, from Vertex's count-tokens.

        Count-tokens is served in a few regions only; the core sends the count to the
        nearest one.
        """
        call, settings = self._prepare(messages, None, {"tools": tools} if tools else {})
        params = self._params(call, settings)
        return self._client(settings).count_tokens(params)

    async def aget_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """The async form of :meth:`get_num_tokens_from_messages`."""
        call, settings = self._prepare(messages, None, {"tools": tools} if tools else {})
        params = await self._aparams(call, settings)
        return await self._client(settings).acount_tokens(params)

    def get_num_tokens(self, text: str) -> int:
        """The input tokens of ``text`` sent as one user message, from count-tokens."""
        return self.get_num_tokens_from_messages([HumanMessage(text)])

    # -- tools and structured output -------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: ToolChoice = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools, in any form LangChain knows or as Anthropic tool dicts.

        Args:
            tools: pydantic models, TypedDicts, functions, ``BaseTool`` objects, JSON
                schemas, OpenAI or Anthropic tool dicts (Anthropic-defined tools such as
                ``{"type": "web_search_20250305", "name": "web_search"}`` included).
            tool_choice: ``"auto"``, ``"any"``, ``"none"``, a tool name, or a dict. A forced
                choice (``"any"`` or a name) is dropped with a warning on calls with
                thinking on, which Claude refuses.
            parallel_tool_calls: ``False`` lets Claude call at most one tool per turn.
            strict: ``True`` makes Claude follow each input schema exactly.
            kwargs: further call arguments to bind.
        """
        formatted = [convert_to_anthropic_tool(tool, strict=strict) for tool in tools]
        choice = tool_choice_param(tool_choice, parallel=parallel_tool_calls)
        if choice is not None:
            kwargs["tool_choice"] = choice
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        include_raw: bool = False,
        method: StructuredOutputMethod = "function_calling",
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable whose output follows ``schema`` (pydantic, TypedDict or JSON schema).

        Args:
            schema: the output schema; pydantic classes give instances, the rest dicts.
            include_raw: return ``{"raw", "parsed", "parsing_error"}`` instead.
            method: ``"function_calling"`` (a forced tool call, the default),
                ``"json_schema"`` (Claude's structured outputs, ``output_config.format``,
                on models that support them; others fall back to function calling), or
                ``"json_mode"`` (JSON parsed from the answer's text).
            strict: strict schema adherence for ``function_calling``.
            kwargs: not accepted.
        """
        if kwargs:
            raise ValueError(f"Received unsupported arguments {kwargs}")
        return structured_output(
            self,
            schema,
            method=method,
            include_raw=include_raw,
            strict=strict,
            native_json_schema=resolve_model(self.model).structured_outputs,
        )

    def __repr_args__(self) -> Any:
        return [
            (k, v) for k, v in super().__repr_args__() if k not in ("credentials", "access_token")
        ]
