"""``ClaudeVertex``: Claude on Google Vertex AI as a LlamaIndex ``FunctionCallingLLM``.

The class holds the call's options and turns LlamaIndex calls into Messages API parameters;
project, region, credentials, endpoints, retries and model facts are the core's
(:func:`claude_vertex.resolve_settings`, :meth:`claude_vertex.VertexClient.shared`,
:func:`claude_vertex.resolve_model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    prompt_to_messages,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, model_validator
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from claude_vertex import (
    Effort,
    Impersonation,
    ModelInfo,
    Settings,
    VertexClient,
    VertexMessage,
    apply_call_policy,
    aresolve_media,
    merge_params,
    resolve_media,
    resolve_model,
    resolve_settings,
)
from claude_vertex.client import read_answer
from claude_vertex.credentials import CredentialsSource
from claude_vertex.media import LocalDirs
from claude_vertex.media import local_media_dirs as checked_local_dirs
from claude_vertex.models import DEFAULT_MODEL

from .batch import batch_chat_response
from .batch_instrumentation import BatchSpans
from .messages import to_messages_params
from .responses import chat_response
from .streaming import StreamAssembler
from .tools import keep_first_tool_call, tool_choice_param, tool_params, tool_selections
from .utils import JSON

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from claude_vertex.batch import BatchItemError
    from claude_vertex.batch_run import BatchOutputs

__all__ = ["DEFAULT_MODEL", "ClaudeVertex"]

#: Seconds between two reads of a running batch job, by default (the core's).
BATCH_POLL_INTERVAL = 30.0
_Response = TypeVar("_Response", ChatResponse, CompletionResponse)
#: Options that are Messages API parameters of the same name (``effort`` is merged into
#: ``output_config``).
_OPTION_PARAMS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "thinking",
    "effort",
)


def _chat_response(message: VertexMessage) -> ChatResponse:
    return chat_response(message, region=message.vertex_region)


class ClaudeVertex(FunctionCallingLLM):
    """Claude on Google Vertex AI, for LlamaIndex.

    Example::

        from llama_index.llms.claude_vertex import ClaudeVertex

        llm = ClaudeVertex(model="claude-sonnet-4-5", project="my-project")
        print(llm.complete("Hey Claude!").text)

    The project, region and credentials resolve like the core's
    :func:`~claude_vertex.resolve_settings`: arguments first, then ``ANTHROPIC_VERTEX_PROJECT_ID``
    / ``GOOGLE_CLOUD_PROJECT`` / ``CLOUD_ML_REGION``, then Application Default Credentials; the
    region defaults to ``global`` where the model is served there. Credentials and tokens are
    never stored on the object, so ``to_dict()``, ``to_payload()`` and ``repr()`` hold none.

    Answers report ``additional_kwargs["usage"]`` (input, output, cache read and cache
    creation tokens), ``stop_reason``, ``stop_sequence``, ``region`` (the endpoint
    that answered), ``request_id`` and ``cost_usd`` (US dollars; ``None`` where a price is
    unknown), streamed or not; ``raw`` is the SDK message.
    """

    model: str = Field(
        default=DEFAULT_MODEL,
        description="Claude model id in any form: alias, first-party or Vertex id.",
    )
    project: str | None = Field(
        default=None, description="Google Cloud project (the resolved one after construction)."
    )
    region: str | None = Field(
        default=None,
        description="Vertex AI endpoint: 'global', 'us', 'eu' or a region such as 'us-east5'.",
    )
    base_url: str | None = Field(
        default=None, description="Endpoint base URL override (a proxy, gateway or emulator)."
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Most tokens to generate; by default the model's output limit.",
    )
    temperature: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Sampling temperature."
    )
    top_p: float | None = Field(default=None, ge=0.0, le=1.0, description="Nucleus sampling.")
    top_k: int | None = Field(default=None, ge=0, description="Top-k sampling.")
    stop_sequences: list[str] | None = Field(
        default=None, description="Texts that end the answer when generated."
    )
    thinking: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Extended thinking: {'type': 'enabled', 'budget_tokens': N} or {'type': 'adaptive'}."
        ),
    )
    effort: Effort | None = Field(default=None, description="output_config.effort.")
    timeout: float | None = Field(default=None, gt=0, description="Request timeout in seconds.")
    max_retries: int = Field(default=2, ge=0, description="Retries of retryable failures.")
    fallback_regions: list[str] | None = Field(
        default=None, description="Endpoints to fail over to, in order (see docs/reliability.md)."
    )
    data_residency: Literal["us", "eu"] | None = Field(
        default=None, description="Keep every attempt inside this geography."
    )
    deadline: float | None = Field(
        default=None,
        gt=0,
        description="Seconds from a call's start that bound all of it, streams included.",
    )
    betas: list[str] = Field(
        default_factory=list,
        description="anthropic-beta values; those Vertex refuses are dropped with a warning.",
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Further Messages API parameters for every call."
    )
    local_media_dirs: list[str] = Field(
        default_factory=list,
        description=(
            "Directories whose files path= blocks and file:// URLs may send (regular files "
            "only); by default none, and every local file is refused."
        ),
    )

    _settings: Settings = PrivateAttr()
    _client: VertexClient = PrivateAttr()

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        project: str | None = None,
        project_id: str | None = None,
        region: str | None = None,
        base_url: str | None = None,
        credentials: CredentialsSource = None,
        access_token: str | None = None,
        impersonate: Impersonation | str | None = None,
        quota_project_id: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stop_sequences: list[str] | None = None,
        thinking: dict[str, Any] | None = None,
        effort: Effort | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        fallback_regions: list[str] | None = None,
        data_residency: Literal["us", "eu"] | None = None,
        deadline: float | None = None,
        betas: list[str] | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        local_media_dirs: LocalDirs | None = None,
        system_prompt: str | None = None,
        callback_manager: CallbackManager | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the model; project, region and credentials are resolved now, before any call.

        Args:
            model: the Claude model, e.g. ``claude-sonnet-4-5``.
            project: the Google Cloud project (``project_id`` is an alias).
            project_id: alias of ``project``.
            region: the Vertex AI endpoint.
            base_url: an endpoint base URL override.
            credentials: a service-account key file path, its parsed dict, or a
                ``google.auth`` credentials object; Application Default Credentials if None.
            access_token: a static OAuth2 access token instead of credentials.
            impersonate: a service-account email (or ``Impersonation``) to act as.
            quota_project_id: the project billed for quota (``x-goog-user-project``).
            max_tokens: most tokens to generate.
            temperature: sampling temperature.
            top_p: nucleus sampling.
            top_k: top-k sampling.
            stop_sequences: texts that end the answer.
            thinking: ``{"type": "enabled", "budget_tokens": N}`` or ``{"type": "adaptive"}``.
            effort: ``low``, ``medium``, ``high`` or ``max``.
            timeout: request timeout in seconds.
            max_retries: retries of retryable failures (429, 529, 5xx, connection errors).
            fallback_regions: endpoints to fail over to, in order, instead of the default plan.
            data_residency: ``"us"`` or ``"eu"``: every attempt stays in that geography.
            deadline: seconds from a call's start that bound all of it, streams included.
            betas: ``anthropic-beta`` values.
            additional_kwargs: further Messages API parameters for every call.
            local_media_dirs: directories whose files ``path=`` blocks and ``file://`` URLs
                may send, with their subdirectories (regular files only). By default none:
                message content may come from untrusted users, so local files are refused.
            system_prompt: the system prompt, used when a call's messages carry none.
            callback_manager: LlamaIndex callback manager.
            **kwargs: further ``LLM`` fields (``pydantic_program_mode``, ``output_parser``...).

        Raises:
            ValueError: inconsistent options (e.g. a thinking budget not below
                ``max_tokens``, or a feature the model does not offer).
            ConfigurationError: a malformed region, project or base URL, no project, or a
                ``local_media_dirs`` entry that is not a directory.
            CredentialsError: credentials that cannot be loaded.
        """
        if project is not None and project_id is not None and project != project_id:
            raise ValueError(f"project={project!r} and project_id={project_id!r} disagree.")
        super().__init__(
            model=model,
            project=project if project is not None else project_id,
            region=region,
            base_url=base_url,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            stop_sequences=stop_sequences,
            thinking=thinking,
            effort=effort,
            timeout=timeout,
            max_retries=max_retries,
            fallback_regions=fallback_regions,
            data_residency=data_residency,
            deadline=deadline,
            betas=list(betas or []),
            additional_kwargs=dict(additional_kwargs or {}),
            local_media_dirs=[str(d) for d in checked_local_dirs(local_media_dirs)],
            system_prompt=system_prompt,
            callback_manager=callback_manager or CallbackManager([]),
            **kwargs,
        )
        settings = resolve_settings(
            model=self.model,
            project=self.project,
            region=self.region,
            base_url=self.base_url,
            credentials=credentials,
            access_token=access_token,
            impersonate=impersonate,
            quota_project_id=quota_project_id,
            fallback_regions=self.fallback_regions,
            data_residency=self.data_residency,
        )
        self.project = settings.project
        self.region = settings.region
        self.base_url = settings.base_url if settings.base_url_fixed else None
        self._settings = settings
        self._client = VertexClient.shared(
            settings, timeout=self.timeout, max_retries=self.max_retries, deadline=self.deadline
        )

    @model_validator(mode="after")
    def _check_options(self) -> ClaudeVertex:
        # The call policy on the options alone: what the model refuses raises now, what it
        # adapts warns now (once), not only at the first call.
        apply_call_policy(self._options_params())
        return self

    @classmethod
    def class_name(cls) -> str:
        """The LlamaIndex class name."""
        return "ClaudeVertex"

    # -- facts ---------------------------------------------------------------------------
    def _output_tokens(self, info: ModelInfo | None = None) -> int:
        if self.max_tokens is not None:
            return self.max_tokens
        return (info or resolve_model(self.model)).max_output_tokens

    @property
    def metadata(self) -> LLMMetadata:
        """Context window and output tokens from the model table; the Vertex model id."""
        info = resolve_model(self.model)
        return LLMMetadata(
            context_window=info.context_window,
            num_output=self._output_tokens(info),
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=info.vertex_id,
            system_role=MessageRole.SYSTEM,
        )

    @property
    def settings(self) -> Settings:
        """The resolved core settings (project, region, base URL; no secrets)."""
        return self._settings

    def to_payload(self) -> dict[str, Any]:
        """What instrumentation events report about this LLM: metadata, project and region."""
        return {**super().to_payload(), "project": self.project, "region": self.region}

    # -- requests ------------------------------------------------------------------------
    def _options_params(self) -> JSON:
        """The Messages API parameters the options give, before any call's own."""
        return merge_params(
            {"model": self.model},
            {name: getattr(self, name) for name in _OPTION_PARAMS},
            {"betas": self.betas or None},
            self.additional_kwargs,
        )

    def _params(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> JSON:
        """The Messages API parameters of one call, the core's call policy applied.

        Options first, then ``additional_kwargs``, then the call's keyword arguments; the
        ``output_config`` objects and ``betas`` lists merge.
        """
        conversation = to_messages_params(messages, system_prompt=self.system_prompt)
        params = merge_params(self._options_params(), kwargs, conversation.as_params())
        return apply_call_policy(params)

    def _prepared(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> JSON:
        """The call's parameters, its media read by the core's pipeline."""
        params = self._params(messages, kwargs)
        return resolve_media(params, tokens=self._settings.tokens, local_dirs=self.local_media_dirs)

    async def _aprepared(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> JSON:
        """The async form of :meth:`_prepared` (media read concurrently)."""
        params = self._params(messages, kwargs)
        return await aresolve_media(
            params, tokens=self._settings.tokens, local_dirs=self.local_media_dirs
        )

    # -- chat ----------------------------------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send the conversation; the whole answer."""
        message = self._client.create(self._prepared(messages, kwargs))
        return read_answer(_chat_response, message)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Send the conversation; the answer so far after each delta."""
        params = self._prepared(messages, kwargs)
        client = self._client

        def gen() -> ChatResponseGen:
            with client.stream(params) as events:
                assembler = StreamAssembler(region=events.region, request_id=events.request_id)
                yield from events.converted(assembler.feed)

        return gen()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The async form of :meth:`chat`."""
        message = await self._client.acreate(await self._aprepared(messages, kwargs))
        return read_answer(_chat_response, message)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """The async form of :meth:`stream_chat`."""
        params = await self._aprepared(messages, kwargs)
        client = self._client

        async def gen() -> ChatResponseAsyncGen:
            async with await client.astream(params) as events:
                assembler = StreamAssembler(region=events.region, request_id=events.request_id)
                async for chunk in events.converted(assembler.feed):
                    yield chunk

        return gen()

    # -- completion (through chat) -------------------------------------------------------
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Send ``prompt`` as one user message; the whole answer."""
        return chat_to_completion_decorator(self.chat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Send ``prompt`` as one user message; the answer so far after each delta."""
        return stream_chat_to_completion_decorator(self.stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """The async form of :meth:`complete`."""
        return await achat_to_completion_decorator(self.achat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """The async form of :meth:`stream_complete`."""
        return await astream_chat_to_completion_decorator(self.astream_chat)(prompt, **kwargs)

    # -- batch prediction jobs -----------------------------------------------------------
    def batch_chat(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        staging: str,
        return_exceptions: bool = False,
        region: str | None = None,
        display_name: str | None = None,
        poll_interval: float = BATCH_POLL_INTERVAL,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> BatchOutputs[ChatResponse | BatchItemError]:
        """Answer each conversation, as :meth:`chat` would, in one Vertex batch prediction job.

        For thousands of conversations: they run on Google's side as one job, without quota
        errors, at half the price. The job's input and outputs are staged under ``staging``
        in Cloud Storage (the ``claude-vertex[batch]`` extra).

        Args:
            conversations: one message list per request.
            staging: ``gs://bucket/prefix`` for the job's files, in the job's region.
            return_exceptions: put an item's error in its place (a
                :class:`~claude_vertex.batch.BatchItemError`) instead of raising the first.
            region: where the job runs (default: this LLM's region, which must then be one
                region; ``global``, ``us`` and ``eu`` run no batch jobs).
            display_name: the job's name in the console.
            poll_interval: seconds between two reads of the job while it runs.
            timeout: seconds to wait at most (the job goes on after a timeout).
            kwargs: call arguments, as for :meth:`chat`.

        Returns:
            A :class:`~claude_vertex.batch_run.BatchOutputs` list of ``ChatResponse`` s in
            input order, with the ``job`` and its ``totals`` (``cost_usd``: the job's price).

        Raises:
            ConfigurationError: the region, model or staging URI cannot run a job (before any
                I/O); ``BatchInputError``: a request Vertex would refuse (before any upload).
            BatchItemError: a request has no answer, unless ``return_exceptions``.
            JobTimeoutError: the job did not end within ``timeout``.
        """
        spans = BatchSpans.chats(self, conversations, kwargs)
        return self._run_batch(
            spans,
            conversations,
            kwargs,
            return_exceptions,
            staging=staging,
            region=region,
            display_name=display_name,
            poll_interval=poll_interval,
            timeout=timeout,
        )

    async def abatch_chat(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        staging: str,
        return_exceptions: bool = False,
        region: str | None = None,
        display_name: str | None = None,
        poll_interval: float = BATCH_POLL_INTERVAL,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> BatchOutputs[ChatResponse | BatchItemError]:
        """The async form of :meth:`batch_chat` (the event loop is never blocked)."""
        spans = BatchSpans.chats(self, conversations, kwargs)
        return await self._arun_batch(
            spans,
            conversations,
            kwargs,
            return_exceptions,
            staging=staging,
            region=region,
            display_name=display_name,
            poll_interval=poll_interval,
            timeout=timeout,
        )

    def batch_complete(
        self,
        prompts: Sequence[str],
        *,
        staging: str,
        return_exceptions: bool = False,
        region: str | None = None,
        display_name: str | None = None,
        poll_interval: float = BATCH_POLL_INTERVAL,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> BatchOutputs[CompletionResponse | BatchItemError]:
        """Answer each prompt, as :meth:`complete` would, in one batch prediction job.

        Arguments, results and errors as for :meth:`batch_chat`, with ``CompletionResponse`` s;
        instrumentation sees each prompt as a ``complete`` call.
        """
        spans = BatchSpans.completions(self, prompts, kwargs)
        return self._run_batch(
            spans,
            [prompt_to_messages(prompt) for prompt in prompts],
            kwargs,
            return_exceptions,
            staging=staging,
            region=region,
            display_name=display_name,
            poll_interval=poll_interval,
            timeout=timeout,
        )

    async def abatch_complete(
        self,
        prompts: Sequence[str],
        *,
        staging: str,
        return_exceptions: bool = False,
        region: str | None = None,
        display_name: str | None = None,
        poll_interval: float = BATCH_POLL_INTERVAL,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> BatchOutputs[CompletionResponse | BatchItemError]:
        """The async form of :meth:`batch_complete`."""
        spans = BatchSpans.completions(self, prompts, kwargs)
        return await self._arun_batch(
            spans,
            [prompt_to_messages(prompt) for prompt in prompts],
            kwargs,
            return_exceptions,
            staging=staging,
            region=region,
            display_name=display_name,
            poll_interval=poll_interval,
            timeout=timeout,
        )

    def _run_batch(
        self,
        spans: BatchSpans[_Response],
        conversations: Sequence[Sequence[ChatMessage]],
        kwargs: dict[str, Any],
        return_exceptions: bool,
        **job: Any,
    ) -> BatchOutputs[_Response | BatchItemError]:
        """Run the conversations as one job, ending each one's spans with its outcome.

        ``job``: :func:`~claude_vertex.batch_run.run_batch`'s options.
        """
        from claude_vertex.batch_run import BatchOutputs, item_outcomes, outputs_of, run_batch

        if not conversations:  # no requests: no job
            return BatchOutputs()
        with spans.dropping_on_error():
            items = [self._prepared(messages, kwargs) for messages in conversations]
            run = run_batch(self._settings, items, model=self._batch_model(items), **job)
            outcomes = item_outcomes(run, lambda result: batch_chat_response(result, run.job))
        return outputs_of(run, spans.end(outcomes), return_exceptions=return_exceptions)

    async def _arun_batch(
        self,
        spans: BatchSpans[_Response],
        conversations: Sequence[Sequence[ChatMessage]],
        kwargs: dict[str, Any],
        return_exceptions: bool,
        **job: Any,
    ) -> BatchOutputs[_Response | BatchItemError]:
        """The async form of :meth:`_run_batch`."""
        from claude_vertex.batch_run import BatchOutputs, arun_batch, item_outcomes, outputs_of

        if not conversations:
            return BatchOutputs()
        with spans.dropping_on_error():
            items = [await self._aprepared(messages, kwargs) for messages in conversations]
            run = await arun_batch(self._settings, items, model=self._batch_model(items), **job)
            outcomes = item_outcomes(run, lambda result: batch_chat_response(result, run.job))
        return outputs_of(run, spans.end(outcomes), return_exceptions=return_exceptions)

    def _batch_model(self, items: list[JSON]) -> str:
        """The job's model: the first request's (a call may name one), else this LLM's."""
        return str(items[0].get("model") or self.model)

    # -- tools ---------------------------------------------------------------------------
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments that offer ``tools``.

        ``tool_choice`` is ``"auto"``, ``"any"``, ``"none"``, a tool name or a Messages API
        ``tool_choice``; without it, ``tool_required`` asks for ``any``. With thinking on,
        forced tool use becomes ``auto`` (Claude refuses it) with a
        :class:`~claude_vertex.CallPolicyWarning`.
        """
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if tools:
            prepared["tools"] = tool_params(tools)
            prepared["tool_choice"] = tool_choice_param(
                tool_choice,
                tool_required=tool_required,
                allow_parallel_tool_calls=allow_parallel_tool_calls,
            )
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls are allowed."""
        return response if allow_parallel_tool_calls else keep_first_tool_call(response)

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls of an answer, complete or streamed so far, as ``ToolSelection``s.

        Raises:
            ValueError: no tool call, when ``error_on_no_tool_call`` is true.
        """
        return tool_selections(response, error_on_no_tool_call=error_on_no_tool_call)

    # -- token counting ------------------------------------------------------------------
    def _count_params(
        self, messages: str | Sequence[ChatMessage], tools: Sequence[BaseTool] | None
    ) -> tuple[list[ChatMessage], dict[str, Any]]:
        chat = prompt_to_messages(messages) if isinstance(messages, str) else list(messages)
        return chat, {"tools": tool_params(tools)} if tools else {}

    def count_tokens(
        self, messages: str | Sequence[ChatMessage], *, tools: Sequence[BaseTool] | None = None
    ) -> int:
        """Input tokens of a prompt or conversation (and tools), from Vertex count-tokens."""
        chat, extra = self._count_params(messages, tools)
        return self._client.count_tokens(self._prepared(chat, extra))

    async def acount_tokens(
        self, messages: str | Sequence[ChatMessage], *, tools: Sequence[BaseTool] | None = None
    ) -> int:
        """The async form of :meth:`count_tokens`."""
        chat, extra = self._count_params(messages, tools)
        return await self._client.acount_tokens(await self._aprepared(chat, extra))
